// Benchmark training steps: `npx tsx bench.ts --config NAME [--set key=value ...] [--backend NAME] [--steps N] [--optim NAME]`.
// Prints ONE JSON line (backend, device, model, params, batch, median step ms, tokens/s, peak memory); see bench/train-step.ts.
import { Command, Option } from 'commander';
import { benchTrainStep } from './bench/train-step.js';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from './src/backend/select.js';
import { resolveConfig } from './src/config/resolve.js';
import { runMain } from './src/util/errors.js';

const program = new Command('bench.ts')
  .description('Time real training steps (forward, backward, optimizer) on random tokens; prints one JSON line.')
  .option('-c, --config <name|path>', 'config name in configs/ or a file path', 'tinystories-tiny')
  .option('--optim <preset>', 'optimizer preset in configs/optim/')
  .option('-s, --set <key=value>', 'override one config key, e.g. --set train.batchSize=64 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
  .option('--software', 'webgpu: use the Mesa software adapter (also NANOMETA_WEBGPU_SOFTWARE=1)')
  .option('--steps <n>', 'timed steps (the median is reported)', '10')
  .option('--warmup <n>', 'untimed steps first (shader compilation, buffer pools)', '3')
  .option('--tune-gemm', 'webgpu: time the matrix-product kernels after the first warm-up step and keep the fastest (cached in ~/.cache/nanometa)')
  .option('--profile', 'add the top kernels of one profiled step (webgpu: GPU times via timestamp-query)')
  .addHelpText('after', `
Examples:
  npx tsx bench.ts --config tinystories-tiny --backend cpu --steps 5
  npx tsx bench.ts --config tinystories-tiny --backend wasm --profile
  npx tsx bench.ts --config tinystories-15m --backend webgpu --set train.batchSize=64`);

await runMain(async () => {
  program.parse();
  const o = program.opts<{ config: string; optim?: string; set: string[]; backend: BackendChoice; software?: boolean; steps: string; warmup: string; profile?: boolean; tuneGemm?: boolean }>();
  const cfg = await resolveConfig({ config: o.config, optim: o.optim, set: o.set });
  const backend = await initBackend(o.backend, { software: o.software || undefined, profile: o.profile });
  if (backend.fallback) console.error(`note: ${backend.fallback}`); // stderr: stdout is one JSON line
  const result = await benchTrainStep(cfg, backend, { steps: Number(o.steps), warmup: Number(o.warmup), profile: o.profile, tuneGemm: o.tuneGemm });
  console.log(JSON.stringify({ config: o.config, ...result }));
});
