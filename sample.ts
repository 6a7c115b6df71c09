// Sample stories from a checkpoint: `npx tsx sample.ts --checkpoint runs/tinystories-tiny/checkpoint --prompt "Once"`.
// Defaults come from the checkpoint's `sample` config section; flags override them.
import { Command, Option } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from './src/backend/select.js';
import { setUpBackend } from './src/kernels/register.js';
import { SampleSchema } from './src/config/schema.js';
import { generate, loadSampler } from './src/sample/generate.js';
import { ConfigError, runMain } from './src/util/errors.js';

const program = new Command('sample.ts')
  .description('Generate text from a trained nanometa checkpoint, streaming tokens as they are produced.')
  .option('--checkpoint <dir>', 'checkpoint folder (a run folder works too)', 'runs/tinystories-tiny/checkpoint')
  .option('--prompt <text>', "text to continue (default: the checkpoint config's sample.prompt)")
  .option('--max-new-tokens <n>', 'tokens to generate per sample')
  .option('--temperature <t>', 'softmax temperature; 0 = greedy')
  .option('--top-k <k>', 'keep only the k most likely tokens (0 = off)')
  .option('--top-p <p>', 'nucleus sampling: keep the smallest set of tokens with this much probability (1 = off)')
  .option('--seed <s>', 'sampling seed')
  .option('--num-samples <n>', 'number of samples')
  .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_CHOICES]).default('auto'));

await runMain(async () => {
  program.parse();
  const o = program.opts<Record<string, string | undefined>>();
  const backend = await setUpBackend(o.backend as BackendChoice);
  if (backend.fallback) console.error(`note: ${backend.fallback}`); // stderr: stdout is the samples
  const dir = o.checkpoint!.replace(/\/$/, '');
  const sampler = loadSampler(/checkpoint$/.test(dir) ? dir : `${dir}/checkpoint`);
  const flags: Record<string, unknown> = {
    prompt: o.prompt,
    maxNewTokens: num(o.maxNewTokens, '--max-new-tokens'),
    temperature: num(o.temperature, '--temperature'),
    topK: num(o.topK, '--top-k'),
    topP: num(o.topP, '--top-p'),
    seed: num(o.seed, '--seed'),
    numSamples: num(o.numSamples, '--num-samples'),
  };
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const parsed = SampleSchema.safeParse({ ...sampler.checkpoint.state.config.sample, ...given });
  // Each problem names what the user typed: the flag, or the checkpoint's sample.* key when no flag was given.
  const where = (key: string) =>
    key in given
      ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(given[key])}`
      : `sample.${key} in ${sampler.checkpoint.dir}/state.json`;
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((i) => `${where(String(i.path[0]))}: ${i.message}`).join('; '),
      'see npx tsx sample.ts --help',
    );
  const opts = parsed.data;
  const { step } = sampler.checkpoint.state;
  console.error(
    `checkpoint ${sampler.checkpoint.dir} (step ${step}); temperature ${opts.temperature}, top-k ${opts.topK}, top-p ${opts.topP}, seed ${opts.seed}`,
  );
  for (let i = 0; i < opts.numSamples; i++) {
    if (opts.numSamples > 1) process.stdout.write(`--- sample ${i + 1} ---\n`);
    process.stdout.write(opts.prompt);
    await generate(sampler, opts, i, (text) => process.stdout.write(text));
    process.stdout.write('\n');
  }
});

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ConfigError(`${flag}: '${value}' is not a number`);
  return n;
}
