// worker.ts: trains the runs a sweep coordinator (compare.ts --queue) put on the Redis queue, one
// train.ts child process per run, until SIGINT/SIGTERM (running runs checkpoint and go back to the queue).
//   npx tsx worker.ts --queue redis://gpu-host:6379 --backend webgpu --runs /shared/nanometa-runs
import { Command } from 'commander';
import { ConfigError, runMain } from './src/util/errors.js';
import { runWorker } from './src/compare/queue-worker.js';

const int = (v: string) => Number(v);
const program = new Command('worker')
  .description(
    'Pull training runs from a sweep queue (BullMQ on Redis) and train each with train.ts in a child process.',
  )
  .option('--queue <url>', 'redis://[user:password@]host:port[/db] or rediss:// (default: $NANOMETA_QUEUE)')
  .option('--concurrency <n>', 'runs trained at once (one per GPU; CPU: one per few cores)', int, 1)
  .option('--backend <name>', 'passed to train.ts --backend (auto|cpu|webgpu|tensorflow)')
  .option(
    '--runs <dir>',
    'run folders DIR/<job id>; on storage shared by all workers a retried run resumes from its checkpoint',
    'runs/worker',
  )
  .option(
    '--stall-sec <n>',
    'a worker silent this long (killed, machine lost) loses its runs to the other workers',
    int,
    30,
  )
  .option('--grace-sec <n>', 'keep reconnecting to an unreachable Redis this long before stopping', int, 60)
  .addHelpText(
    'after',
    '\nStop with Ctrl-C (SIGINT) or SIGTERM: running runs finish their step, checkpoint and return to the queue.',
  );

await runMain(async () => {
  const o = program.parse().opts();
  o.queue ??= process.env.NANOMETA_QUEUE; // not a commander default: --help would print its password
  if (!o.queue)
    throw new ConfigError('--queue is required (or set NANOMETA_QUEUE)', 'e.g. --queue redis://localhost:6379');
  let signalled = 0;
  const stop = new Promise<string>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        if (++signalled > 1) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: stop now
        process.exitCode = sig === 'SIGINT' ? 130 : 143;
        resolve(sig);
      });
  });
  await runWorker(
    {
      queueUrl: o.queue,
      concurrency: o.concurrency,
      backend: o.backend ?? null,
      runsDir: o.runs,
      stallSec: o.stallSec,
      graceSec: o.graceSec,
    },
    stop,
  );
});
process.exit(); // with Redis gone, BullMQ's connections may still hold timers: every run was stopped above
