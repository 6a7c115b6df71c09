// Two hand-derived steps of every base optimizer (standard convention, PyTorch semantics), arithmetic in
// the comments. Parameters: W (1x2, rank 2: decayed) and b (rank 1: never decayed in the standard convention).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptimizerSchema } from '../../src/config/schema.js';
import { createOptimizer } from '../../src/optim/create.js';
import type { GradMap, Optimizer, ParamMap } from '../../src/optim/types.js';
import { setUpBackend } from '../../src/kernels/register.js';

beforeAll(async () => {
  await setUpBackend('cpu');
});

type Grads = { W: [number, number]; b: number };

/** Runs the optimizer of `base` (+lr) for the given gradients; returns [W0, W1, b] after each step. */
async function run(
  optimizer: Record<string, unknown>,
  grads: Grads[],
  impl: 'auto' | 'reference' = 'auto',
): Promise<number[][]> {
  const params: ParamMap = new Map<string, tf.Variable>([
    ['W', tf.variable(tf.tensor2d([[1, -2]]))],
    ['b', tf.variable(tf.tensor1d([0.5]))],
  ]);
  const opt: Optimizer = createOptimizer(OptimizerSchema.parse(optimizer), params, { impl });
  const before = tf.memory().numTensors;
  const out: number[][] = [];
  for (const g of grads) {
    const gm: GradMap = new Map<string, tf.Tensor>([
      ['W', tf.tensor2d([g.W])],
      ['b', tf.tensor1d([g.b])],
    ]);
    const info = await opt.step(params, gm, optimizer.lr as number);
    expect(info.lr).toEqual([optimizer.lr]);
    tf.dispose([...gm.values()]);
    expect(tf.memory().numTensors).toBe(before);
    out.push([...params.get('W')!.dataSync(), ...params.get('b')!.dataSync()]);
  }
  opt.dispose();
  tf.dispose([...params.values()]);
  return out;
}

function expectSteps(actual: number[][], expected: number[][]): void {
  actual.forEach((row, k) => row.forEach((x, i) => expect(x, `step ${k + 1} [${i}]`).toBeCloseTo(expected[k][i], 6)));
}

// Gradients: step 1 W [0.5, -1], b 0.2; step 2 W [-0.5, -1], b 0.2. Decay κ = 0.1 on W only.
const G: Grads[] = [
  { W: [0.5, -1], b: 0.2 },
  { W: [-0.5, -1], b: 0.2 },
];

describe.each(['auto', 'reference'] as const)('base optimizers, two hand-derived steps (%s kernel)', (impl) => {
  it('adamw', async () => {
    // step 1: m̂ = g, v̂ = g², u = g/(|g| + 1e-8) ≈ sign g; w ← w − lr(u + κw)
    //   W0 = 1 − 0.1(1 + 0.1) = 0.89; W1 = −2 − 0.1(−1 − 0.2) = −1.88; b = 0.5 − 0.1 = 0.4
    // step 2, W0: m = 0.9·0.05 + 0.1·(−0.5) = −0.005, m̂ = −0.005/0.19; v = 0.999·0.00025 + 0.001·0.25
    //   = 0.00049975, v̂ = 0.00049975/0.001999 = 0.25, sqrt 0.5 → u = −0.005/0.19/0.5
    //   W1: same g twice → m̂ = −1, v̂ = 1, u = −1; b: u = 1
    const s = await run({ base: { type: 'adamw', weightDecay: 0.1 }, lr: 0.1 }, G, impl);
    expectSteps(s, [
      [0.89, -1.88, 0.4],
      [0.89 - 0.1 * (-0.005 / 0.19 / 0.5 + 0.1 * 0.89), -1.88 - 0.1 * (-1 + 0.1 * -1.88), 0.3],
    ]);
  });

  it('lion', async () => {
    // step 1: m = 0 → u = sign(0.1·g) = sign g; W0 = 1 − 0.1(1 + 0.1) = 0.89, W1 = −1.88, b = 0.4;
    //   then m = 0.01·g: mW = [0.005, −0.01], mb = 0.002
    // step 2 (b gradient −0.01): W0 u = sign(0.9·0.005 − 0.1·0.5) = −1 → 0.89 − 0.1(−1 + 0.089) = 0.9811
    //   W1 u = −1 → −1.88 − 0.1(−1 − 0.188) = −1.7612; b u = sign(0.9·0.002 − 0.1·0.01 = +0.0008) = +1 → 0.3
    //   (sign(g) alone would give −1 and b = 0.5: u uses the momentum before this step's update)
    const s = await run(
      { base: { type: 'lion', weightDecay: 0.1 }, lr: 0.1 },
      [G[0], { W: [-0.5, -1], b: -0.01 }],
      impl,
    );
    expectSteps(s, [
      [0.89, -1.88, 0.4],
      [0.9811, -1.7612, 0.3],
    ]);
  });

  it('sgdm', async () => {
    // PyTorch: m ← 0.9m + g; u = m. step 1: m = g → W0 = 1 − 0.1(0.5 + 0.1) = 0.94,
    //   W1 = −2 − 0.1(−1 − 0.2) = −1.88, b = 0.5 − 0.1·0.2 = 0.48
    // step 2: mW0 = 0.45 − 0.5 = −0.05 → 0.94 − 0.1(−0.05 + 0.094) = 0.9356;
    //   mW1 = −0.9 − 1 = −1.9 → −1.88 − 0.1(−1.9 − 0.188) = −1.6712; mb = 0.18 + 0.2 = 0.38 → 0.48 − 0.038 = 0.442
    const s = await run({ base: { type: 'sgdm', weightDecay: 0.1 }, lr: 0.1 }, G, impl);
    expectSteps(s, [
      [0.94, -1.88, 0.48],
      [0.9356, -1.6712, 0.442],
    ]);
  });

  it('sgd', async () => {
    // step 1 as sgdm's; step 2: W0 = 0.94 − 0.1(−0.5 + 0.094) = 0.9806; W1 = −1.88 − 0.1(−1 − 0.188) = −1.7612;
    //   b = 0.48 − 0.02 = 0.46
    const s = await run({ base: { type: 'sgd', weightDecay: 0.1 }, lr: 0.1 }, G, impl);
    expectSteps(s, [
      [0.94, -1.88, 0.48],
      [0.9806, -1.7612, 0.46],
    ]);
  });

  it('rmsprop', async () => {
    // PyTorch: v ← 0.99v + 0.01g²; u = g/(sqrt v + 1e-8). step 1: sqrt v = 0.1|g| → u = 10·sign g
    //   W0 = 1 − 0.01(10 + 0.1) = 0.899; W1 = −2 − 0.01(−10 − 0.2) = −1.898; b = 0.5 − 0.01·10 = 0.4
    // step 2: vW0 = 0.99·0.0025 + 0.01·0.25 = 0.004975; vW1 = 0.99·0.01 + 0.01 = 0.0199; vb = 0.000796
    //   W0 = 0.899 − 0.01(−0.5/sqrt(0.004975) + 0.0899); W1 = −1.898 − 0.01(−1/sqrt(0.0199) − 0.1898);
    //   b = 0.4 − 0.01·0.2/sqrt(0.000796)
    const s = await run({ base: { type: 'rmsprop', weightDecay: 0.1 }, lr: 0.01 }, G, impl);
    expectSteps(s, [
      [0.899, -1.898, 0.4],
      [
        0.899 - 0.01 * (-0.5 / Math.sqrt(0.004975) + 0.0899),
        -1.898 - 0.01 * (-1 / Math.sqrt(0.0199) - 0.1898),
        0.4 - (0.01 * 0.2) / Math.sqrt(0.000796),
      ],
    ]);
  });
});
