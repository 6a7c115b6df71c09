// Summarises bench/gpu.sh logs as markdown: tokens/s per batch (ours per configuration, the peer, PyTorch fp32),
// MetaOptimize's overhead, and issue 5's targets met or not (logic in bench/gpu-log.ts).
//   npx tsx bench/gpu-summary.ts docs/results/gpu-speed/call3-final.log [more.log ...]
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { NanometaError, runMain } from '../src/util/errors.js';
import { formatSummary, summarizeGpuLog } from './gpu-log.js';

await runMain(async () => {
  const o = new Command('bench/gpu-summary.ts')
    .description('Summarise bench/gpu.sh logs (tokens/s, ratios, issue 5 targets) as markdown.')
    .argument(
      '<logs...>',
      "gpu.log files, read in order as one log (runs of one configuration in several logs are pooled: pass one call's log to compare within a call)",
    )
    .parse();
  const text = o.args
    .map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new NanometaError(
          `cannot read ${f}: ${(e as Error).message}`,
          'pass the gpu.log that bench/gpu.sh wrote to $OUT',
        );
      }
    })
    .join('\n');
  console.log(formatSummary(summarizeGpuLog(text)));
});
