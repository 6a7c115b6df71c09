// Row-logsumexp variants (STYLE 16): each checked against tf.logSumExp, then timed (median; GB/s of x read once).
// `npx tsx bench/logsumexp.ts [--backend cpu|webgpu] [--software] [--n 1024] [--v 2368] [--reps 5]`
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { type BackendChoice } from '../src/backend/select.js';
import { setUpBackend } from '../src/kernels/register.js';
import { rowLogSumExp } from '../src/kernels/logsumexp/index.js';
import { rowLogSumExpReference } from '../src/kernels/logsumexp/reference.js';
import { runMain } from '../src/util/errors.js';

const VARIANTS: Record<string, (x: tf.Tensor2D) => tf.Tensor1D> = {
  '0-tf-logSumExp': rowLogSumExpReference,
  '1-nanometa-rowLogSumExp': rowLogSumExp,
};

async function main(): Promise<void> {
  const opts = new Command()
    .option('--backend <name>', 'cpu | webgpu', 'cpu')
    .option('--software', 'WebGPU on the Mesa software adapter')
    .option('--n <rows>', 'rows (tokens in one loss chunk)', '1024')
    .option('--v <cols>', 'vocabulary V', '2368')
    .option('--reps <n>', 'timed repetitions (median reported)', '5')
    .parse()
    .opts();
  const info = await setUpBackend(opts.backend as BackendChoice, { software: Boolean(opts.software) });
  const [n, V, reps] = [Number(opts.n), Number(opts.v), Number(opts.reps)];
  const x = tf.randomNormal([n, V], 0, 3, 'float32', 1) as tf.Tensor2D; // (n, V) logits
  const expected = await rowLogSumExpReference(x).data();
  for (const [name, fn] of Object.entries(VARIANTS)) {
    const got = await fn(x).data();
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - expected[i]));
    if (maxErr > 1e-3) throw new Error(`${name}: max |error| ${maxErr} against tf.logSumExp`);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const out = fn(x);
      await out.data();
      times.push(performance.now() - t0);
      out.dispose();
    }
    const ms = times.sort((a, b) => a - b)[Math.floor(reps / 2)];
    console.log(
      JSON.stringify({
        variant: name,
        backend: info.name,
        device: info.device,
        n,
        V,
        ms: +ms.toFixed(2),
        gbPerSec: +((4 * n * V) / ms / 1e6).toFixed(3),
        maxErr,
      }),
    );
  }
}

await runMain(main);
