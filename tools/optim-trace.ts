// Prints the per-step trace of one optimizer trace case (`expected` is ignored), running the real optimizer on
// cpu: {step, w, h, beta, alpha, z} for MetaOptimize cases (../shared/reference/metaoptimize-cases.json),
// {step, w, wEval, lr, ...learned scalars} for the learning-rate-free ones (lrfree-cases.json).
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { runTraceCase, selectCase } from '../src/optim/metaoptimize/trace-case.js';
import { isLrFreeCase, runLrFreeTraceCase } from '../src/optim/lrfree/trace-case.js';
import { ConfigError, runMain } from '../src/util/errors.js';
import { setUpBackend } from '../src/kernels/register.js';

const program = new Command('optim-trace')
  .description('run one optimizer trace case on the cpu backend and print its per-step records as JSON')
  .requiredOption('--case <file>', 'JSON file: one case object, or cases by name')
  .option('--name <case>', 'which case, when the file holds several')
  .option(
    '--impl <impl>',
    "auto (fused cpu kernel) | reference (stock tf ops) | host (lr-free cases: float64 JS, the authors' math)",
    'auto',
  );

await runMain(async () => {
  const opts = program.parse().opts<{ case: string; name?: string; impl: string }>();
  if (opts.impl !== 'auto' && opts.impl !== 'reference' && opts.impl !== 'host')
    throw new ConfigError(`--impl ${opts.impl}: allowed are auto, reference, host`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(opts.case, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--case ${opts.case}: cannot read JSON (${(err as Error).message})`);
  }
  const { traceCase } = selectCase(json, opts.case, opts.name);
  await setUpBackend('cpu');
  tf.env().set('PROD', true); // silences tfjs's install-tfjs-node banner: this tool's output is the JSON alone
  const lrFree = isLrFreeCase(traceCase);
  if (opts.impl === 'host' && !lrFree)
    throw new ConfigError('--impl host runs only the learning-rate-free cases (lrfree-cases.json)');
  const records = lrFree
    ? await runLrFreeTraceCase(traceCase, opts.impl as 'auto' | 'reference' | 'host')
    : await runTraceCase(traceCase, { impl: opts.impl as 'auto' | 'reference' });
  process.stdout.write(`${JSON.stringify(records, null, 1)}\n`);
});
