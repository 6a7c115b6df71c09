// GEMM variants on WebGPU at the tinystories-15m training shapes: each variant × plan is validated against a
// float64 reference, then timed; one JSON line per result with ms and TFLOP/s, and per shape the fastest.
//   npx tsx bench/matmul/bench-matmul.ts [--tokens 16384] [--chunk 2668] [--reps 10] [--variants 1,3,vec4] [--plans src,cost,128x96/2] [--only head] [--software]
// Exits 1 when a variant computes a wrong product.
import { Command } from 'commander';
import { setUpBackend } from '../../src/kernels/register.js';
import { runMain } from '../../src/util/errors.js';
import { MATMUL_VARIANTS } from './variants.js';
import { modelShapes, runMatmulBench } from './runner.js';

const program = new Command('bench/matmul/bench-matmul.ts')
  .description('Validate, then time, the GEMM variants (bench/matmul/variants.ts) per product shape on WebGPU.')
  .option('--tokens <n>', 'rows of the activations (batch × 256)', '16384')
  .option('--chunk <n>', 'rows of one LM-head chunk', '2668')
  .option('--reps <n>', 'products per timing (0: validate only)', '10')
  .option(
    '--variants <list>',
    `comma-separated ids or names (${MATMUL_VARIANTS.map((v) => `${v.id} ${v.name}`).join(', ')}); default all`,
  )
  .option(
    '--plans <list>',
    "src (planGemm), cost (the cost model's tiles and splits) or a tile with an optional split, e.g. 128x96/3",
    'src,cost',
  )
  .option('--only <text>', 'shapes whose label contains this (e.g. head)')
  .option('--software', 'the Mesa software adapter')
  .addHelpText('after', `\nVariants:\n${MATMUL_VARIANTS.map((v) => `  ${v.id} ${v.name}: ${v.about}`).join('\n')}`);

await runMain(async () => {
  const o = program.parse().opts<{
    tokens: string;
    chunk: string;
    reps: string;
    variants?: string;
    plans: string;
    only?: string;
    software?: boolean;
  }>();
  const variants =
    o.variants === undefined
      ? MATMUL_VARIANTS
      : o.variants.split(',').map((x) => {
          const v = MATMUL_VARIANTS.find((w) => String(w.id) === x || w.name === x);
          if (!v)
            throw new Error(`--variants: unknown ${x} (${MATMUL_VARIANTS.map((w) => `${w.id} ${w.name}`).join(', ')})`);
          return v;
        });
  const info = await setUpBackend('webgpu', { software: o.software });
  console.log(
    JSON.stringify({ device: info.device, variants: variants.map((v) => `${v.id} ${v.name}`), plans: o.plans }),
  );
  const shapes = modelShapes(Number(o.tokens), Number(o.chunk)).filter((s) => !o.only || s.label.includes(o.only));
  const rows = await runMatmulBench({
    shapes,
    variants,
    plans: o.plans.split(','),
    reps: Number(o.reps),
    log: (r) => console.log(JSON.stringify(r)),
  });
  const wrong = rows.filter((r) => r.valid === false);
  if (wrong.length) {
    console.error(
      `bench/matmul: ${wrong.length} wrong products: ${wrong.map((r) => `${r.shape} ${r.variant} ${r.plan} (err ${r.err})`).join('; ')}`,
    );
    process.exitCode = 1;
  }
});
