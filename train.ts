// Train a GPT: `npx tsx train.ts --config tinystories-tiny [--optim NAME] [--set key=value ...] [--out DIR] [--resume]`.
// Resolves the config, starts the backend, and hands over to runTraining (src/train/loop.ts).
import { Command, Option } from 'commander';
import { resolveConfig, describeConfigKeys, listNames, CONFIGS_DIR } from './src/config/resolve.js';
import { BACKEND_CHOICES, type BackendChoice } from './src/backend/select.js';
import { setUpBackend } from './src/kernels/register.js';
import { runTraining } from './src/train/loop.js';
import { installInterruptHandlers, superviseUnderTsx } from './src/train/interrupt.js';
import { describeKeptCheckpoint } from './src/checkpoint/recover.js';
import { runMain } from './src/util/errors.js';
import { describeFlags, flagsHelp, resolveFlags } from './src/flags.js';
import { join } from 'node:path';

const program = new Command('train.ts')
  .description('Train a GPT language model (nanoGPT-style) with a fixed schedule or MetaOptimize learned step sizes.')
  .option(
    '-c, --config <name|path>',
    `config name in configs/ (${listNames(CONFIGS_DIR).join(', ')}) or a file path`,
    'tinystories-tiny',
  )
  .option(
    '--optim <preset>',
    `optimizer preset in configs/optim/ (${listNames(join(CONFIGS_DIR, 'optim')).join(', ')})`,
  )
  .option(
    '-s, --set <key=value>',
    'override one config key, e.g. --set train.maxSteps=500 (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option('-o, --out <dir>', 'run folder (config.json, metrics.jsonl, checkpoint/); default runs/<config>')
  .option('--resume', "continue from the run folder's checkpoint (raise train.maxSteps to extend a finished run)")
  .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'))
  .option('--help-config', 'list every config key with its type, default and meaning, then exit')
  .addHelpText(
    'after',
    `
Examples:
  npx tsx train.ts --config tinystories-tiny
  npx tsx train.ts --config tinystories-tiny --optim mo-adamw-lion --out runs/mo
  npx tsx train.ts --config tinystories-tiny --set data.source=text:../shared/data/tinystories/TinyStoriesV2-GPT4-train.head10000.txt
  npx tsx train.ts --config runs/mo/config.json --out runs/mo --resume --set train.maxSteps=2000

Environment flags (recorded in the run's config.json):
${flagsHelp()}`,
  );

await runMain(async () => {
  program.parse();
  const o = program.opts<{
    config: string;
    optim?: string;
    set: string[];
    out?: string;
    resume?: boolean;
    backend: BackendChoice;
    helpConfig?: boolean;
  }>();
  if (o.helpConfig) return void console.log(describeConfigKeys());
  const supervised = await superviseUnderTsx(); // `npx tsx train.ts`: the run happens in a child (src/train/interrupt.ts)
  if (supervised !== null) return void (process.exitCode = supervised);
  const cfg = await resolveConfig({ config: o.config, optim: o.optim, set: o.set });
  for (const section of ['model', 'data', 'optimizer', 'train'] as const)
    console.log(`${section}: ${JSON.stringify(cfg[section])}`);
  console.log(describeFlags(resolveFlags()));
  const backend = await setUpBackend(o.backend);
  console.log(`backend: ${backend.name} (${backend.device})${backend.reason ? `; ${backend.reason}` : ''}`);
  if (backend.fallback) console.log(`note: ${backend.fallback}`);
  const outDir = o.out ?? join('runs', o.config.replace(/^.*[/\\]/, '').replace(/\.(ts|js|json)$/, ''));
  const interrupt = installInterruptHandlers(() => describeKeptCheckpoint(join(outDir, 'checkpoint')));
  const result = await runTraining(cfg, { outDir, resume: o.resume, backend, stopSignal: interrupt.stopSignal });
  if (result.interrupted) {
    console.log(
      `interrupted at step ${result.step}: checkpoint saved to ${result.checkpointDir} (resume with --resume)`,
    );
    return void (process.exitCode = interrupt.exitCode());
  }
  console.log(
    `done: step ${result.step}, best val loss ${result.bestValLoss?.toFixed(4) ?? '-'}; sample with:\n` +
      `  npx tsx sample.ts --checkpoint ${result.checkpointDir}`,
  );
});
