// Benchmark training steps: `npx tsx bench.ts --config NAME [--set key=value ...] [--backend NAME] [--steps N] [--optim NAME]`.
// Prints ONE JSON line (backend, device, model, params, batch, median step ms, tokens/s, peak memory); see bench/train-step.ts.
import { Command, Option } from 'commander';
import { benchTrainStep } from './bench/train-step.js';
import { STEP_VARIANTS, stepVariants } from './bench/step-variants.js';
import { BACKEND_CHOICES, type BackendChoice } from './src/backend/select.js';
import { setUpBackend } from './src/kernels/register.js';
import { resolveConfig } from './src/config/resolve.js';
import { runMain } from './src/util/errors.js';
import { flagsHelp } from './src/flags.js';

const program = new Command('bench.ts')
  .description('Time real training steps (forward, backward, optimizer) on random tokens; prints one JSON line.')
  .option('-c, --config <name|path>', 'config name in configs/ or a file path', 'tinystories-tiny')
  .option('--optim <preset>', 'optimizer preset in configs/optim/')
  .option(
    '-s, --set <key=value>',
    'override one config key, e.g. --set train.batchSize=64 (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
  .option('--software', 'webgpu: use the Mesa software adapter (also NANOMETA_WEBGPU_SOFTWARE=1)')
  .option('--steps <n>', 'timed steps (the median is reported)', '10')
  .option('--warmup <n>', 'untimed steps first (shader compilation, buffer pools)', '3')
  .option('--profile', 'add the top kernels of one profiled step (webgpu: GPU times via timestamp-query)')
  .option(
    '--variant <name>',
    `run a bench-side kernel variant in place of src's (repeatable): ${Object.keys(STEP_VARIANTS).join(', ')}`,
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .addHelpText(
    'after',
    `
Examples:
  npx tsx bench.ts --config tinystories-tiny --backend cpu --steps 5
  npx tsx bench.ts --config tinystories-tiny --backend wasm --profile
  npx tsx bench.ts --config tinystories-15m --backend webgpu --set train.batchSize=64

Variants (listed in the JSON as "variants"):
${Object.entries(STEP_VARIANTS)
  .map(([name, v]) => `  ${name}: ${v.about}`)
  .join('\n')}

Environment flags (listed in the JSON as "flags"):
${flagsHelp()}

GEMM variants and planners: npx tsx bench/matmul/bench-matmul.ts --help`,
  );

await runMain(async () => {
  program.parse();
  const o = program.opts<{
    config: string;
    optim?: string;
    set: string[];
    backend: BackendChoice;
    software?: boolean;
    steps: string;
    warmup: string;
    profile?: boolean;
    variant: string[];
  }>();
  const cfg = await resolveConfig({ config: o.config, optim: o.optim, set: o.set });
  const variants = stepVariants(o.variant);
  const backend = await setUpBackend(o.backend, { software: o.software || undefined, profile: o.profile });
  if (backend.fallback) console.error(`note: ${backend.fallback}`); // stderr: stdout is one JSON line
  for (const v of variants) v.use();
  const result = await benchTrainStep(cfg, backend, {
    steps: Number(o.steps),
    warmup: Number(o.warmup),
    profile: o.profile,
  });
  console.log(JSON.stringify({ config: o.config, ...(o.variant.length ? { variants: o.variant } : {}), ...result }));
});
