// Train a GPT: `npx tsx train.ts --config tinystories-tiny [--optim NAME] [--set key=value ...] [--out DIR] [--resume]`.
// Resolves the config, starts the backend, and hands over to runTraining (src/train/loop.ts).
import { Command, Option } from 'commander';
import { resolveConfig, describeConfigKeys, listNames, CONFIGS_DIR } from './src/config/resolve.js';
import { initBackend, BACKEND_CHOICES, type BackendChoice } from './src/backend/select.js';
import { runTraining } from './src/train/loop.js';
import { runMain } from './src/util/errors.js';
import { join } from 'node:path';

const program = new Command('train.ts')
  .description('Train a GPT language model (nanoGPT-style) with a fixed schedule or MetaOptimize learned step sizes.')
  .option('-c, --config <name|path>', `config name in configs/ (${listNames(CONFIGS_DIR).join(', ')}) or a file path`, 'tinystories-tiny')
  .option('--optim <preset>', `optimizer preset in configs/optim/ (${listNames(join(CONFIGS_DIR, 'optim')).join(', ')})`)
  .option('-s, --set <key=value>', 'override one config key, e.g. --set train.maxSteps=500 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('-o, --out <dir>', 'run folder (config.json, metrics.jsonl, checkpoint/); default runs/<config>')
  .option('--resume', 'continue from the run folder\'s checkpoint (raise train.maxSteps to extend a finished run)')
  .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
  .option('--tune-gemm', 'webgpu: after the first step, time the matrix-product kernels on this GPU and keep the fastest (cached in ~/.cache/nanometa)')
  .option('--help-config', 'list every config key with its type, default and meaning, then exit')
  .addHelpText('after', `
Examples:
  npx tsx train.ts --config tinystories-tiny
  npx tsx train.ts --config tinystories-tiny --optim mo-adamw-lion --out runs/mo
  npx tsx train.ts --config tinystories-tiny --set data.source=text:../shared/data/tinystories/TinyStoriesV2-GPT4-train.head10000.txt
  npx tsx train.ts --config runs/mo/config.json --out runs/mo --resume --set train.maxSteps=2000`);

await runMain(async () => {
  program.parse();
  const o = program.opts<{ config: string; optim?: string; set: string[]; out?: string; resume?: boolean; backend: BackendChoice; tuneGemm?: boolean; helpConfig?: boolean }>();
  if (o.helpConfig) return void console.log(describeConfigKeys());
  const cfg = await resolveConfig({ config: o.config, optim: o.optim, set: o.set });
  for (const section of ['model', 'data', 'optimizer', 'train'] as const) console.log(`${section}: ${JSON.stringify(cfg[section])}`);
  const backend = await initBackend(o.backend);
  if (backend.fallback) console.log(`note: ${backend.fallback}`);
  console.log(`backend: ${backend.name} (${backend.device})`);
  const outDir = o.out ?? join('runs', o.config.replace(/^.*[/\\]/, '').replace(/\.(ts|js|json)$/, ''));
  const stopSignal = { stop: false };
  process.on('SIGINT', () => {
    if (stopSignal.stop) process.exit(130);
    stopSignal.stop = true;
  });
  const result = await runTraining(cfg, { outDir, resume: o.resume, backend, tuneGemm: o.tuneGemm, stopSignal });
  console.log(`done: step ${result.step}, best val loss ${result.bestValLoss?.toFixed(4) ?? '-'}; sample with:\n` +
    `  npx tsx sample.ts --checkpoint ${result.checkpointDir}`);
});
