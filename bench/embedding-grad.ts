// Embedding-backward variants (STYLE 16): each is checked against tf.unsortedSegmentSum, then timed.
// `npx tsx bench/embedding-grad.ts [--backend cpu|webgpu] [--software] [--n 4096] [--v 2368] [--c 128] [--reps 5]
//   [--variants 0,1] [--oracle reference|loop]` (the loop oracle, itself tested against the reference, skips
//   tfjs cpu's O(V·N·C) kernel, which takes minutes at real shapes)
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { type BackendChoice } from '../src/backend/select.js';
import { setUpBackend } from '../src/kernels/register.js';
import { embeddingGrad } from '../src/kernels/embedding/index.js';
import { embeddingGradLoop } from '../src/kernels/embedding/cpu.js';
import { embeddingGradReference } from '../src/kernels/embedding/reference.js';
import { runMain } from '../src/util/errors.js';

const VARIANTS: Record<string, (dy: tf.Tensor2D, idx: tf.Tensor1D, V: number) => tf.Tensor2D> = {
  '0-tf-unsortedSegmentSum': embeddingGradReference,
  '1-nanometa-embeddingGrad': embeddingGrad,
};

async function timeMs(fn: () => tf.Tensor, reps: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const out = fn();
    await out.data(); // waits for the GPU too
    times.push(performance.now() - t0);
    out.dispose();
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--backend <name>', 'cpu | webgpu', 'cpu')
    .option('--software', 'WebGPU on the Mesa software adapter')
    .option('--n <rows>', 'B*T rows of dy', '4096')
    .option('--v <rows>', 'vocabulary rows V', '2368')
    .option('--c <cols>', 'embedding width C', '128')
    .option('--reps <n>', 'timed repetitions (median reported)', '5')
    .option('--variants <list>', 'comma-separated variant numbers to run', '0,1')
    .option('--oracle <name>', 'reference (tf.unsortedSegmentSum) or loop (the plain JS loop)', 'reference')
    .parse()
    .opts();
  const info = await setUpBackend(opts.backend as BackendChoice, { software: Boolean(opts.software) });
  const [N, V, C, reps] = [Number(opts.n), Number(opts.v), Number(opts.c), Number(opts.reps)];
  const ids = Int32Array.from({ length: N }, (_, i) =>
    Math.floor(V * Math.pow(((i * 2654435761) % 4294967296) / 4294967296, 3)),
  );
  const idx = tf.tensor1d(ids, 'int32'); // (N), skewed like token frequencies
  const dy = tf.randomNormal([N, C], 0, 1, 'float32', 1) as tf.Tensor2D; // (N, C)
  const expected =
    opts.oracle === 'loop'
      ? embeddingGradLoop((await dy.data()) as Float32Array, ids, V, C)
      : await embeddingGradReference(dy, idx, V).data();
  const chosen = String(opts.variants).split(',');
  for (const [name, fn] of Object.entries(VARIANTS).filter(([n]) => chosen.includes(n.split('-')[0]))) {
    const got = await fn(dy, idx, V).data();
    let maxErr = 0;
    for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - expected[i]));
    if (maxErr > 1e-4) throw new Error(`${name}: max |error| ${maxErr} against tf.unsortedSegmentSum`);
    const ms = await timeMs(() => fn(dy, idx, V), reps);
    const bytes = 4 * (N * C + N + V * C); // read dy and ids, write dW
    console.log(
      JSON.stringify({
        variant: name,
        backend: info.name,
        device: info.device,
        N,
        V,
        C,
        ms: +ms.toFixed(2),
        gbPerSec: +(bytes / ms / 1e6).toFixed(3),
        maxErr,
      }),
    );
  }
}

await runMain(main);
