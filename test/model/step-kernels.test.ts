// Regression bound on the work of one training step (forward, backward, clipping) of a tiny bias-ful GPT: the
// number of tfjs kernel calls (each costs engine bookkeeping) and, on WebGPU, of GPU dispatches (each costs a
// uniform buffer, a bind group and an encode). At batch 16 on a GPU these, not arithmetic, bound the step
// (issue 5), so a change that adds kernels must raise these bounds knowingly. Counts are deterministic; no timing.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countDispatches } from '../../src/backend/webgpu-raw.js';
import { validateConfig } from '../../src/config/resolve.js';
import { setFlag } from '../../src/flags.js';
import { buildModel } from '../../src/model/gpt.js';
import { trainStep } from '../../src/train/step.js';
import { Rng } from '../../src/util/rng.js';
import { testBackends } from '../backend/available.js';

// 2 layers with bias (every kind of kernel the 6-layer tinystories-15m step runs, per layer), d 16, T 8, B 2.
const cfg = validateConfig({ model: { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, bias: true, dropout: 0 } });
const V = 64,
  B = 2,
  T = 8;

/** Upper bounds, the counts measured when set (issue 5's kernel census); lower them when you cut more. */
const MAX_KERNELS = 126; // tfjs kernel calls per step, Reshape and Identity included (cpu 126, webgpu 119; 161 before the attention's
// residual moved into its projection's epilogue and clipping's change, 263 before the fused linear, LayerNorm-residual and embedding kernels)
// WebGPU compute dispatches per step, raw passes included (73; 83 with bench/layernorm's programs, whose
// LayerNorm backward takes 4 instead of 2; counting tfjs programs only, that was 79, 97 before, 128 before that)
const MAX_DISPATCHES = 73;

interface StepCount {
  loss: number;
  kernels: string[];
  dispatches: number;
}

async function countStep(): Promise<StepCount> {
  const model = buildModel(cfg.model, V, 1);
  const rng = new Rng(5);
  const tokens = () => Int32Array.from({ length: B * T }, () => rng.int(V));
  const batch = { x: tokens(), y: tokens(), shape: [B, T] as [number, number] };
  const run = async () => {
    const out = await trainStep(model, [batch], 1, () => undefined);
    const loss = (await out.loss.data())[0];
    tf.dispose([out.loss, out.gradNorm, ...(out.gradScale ? [out.gradScale] : []), ...out.grads.values()]);
    return loss;
  };
  await run(); // warm-up: first calls may create lasting constants
  try {
    let loss = 0;
    // every compute dispatch: tfjs's programs and raw passes (backend/webgpu-raw.ts) alike; -1 off WebGPU
    const { result: profile, dispatches } = await countDispatches(() =>
      tf.profile(async () => {
        loss = await run();
      }),
    );
    // Registered kernels only: customGrad's wrappers and scopes ('forward', '') show up too but run nothing themselves.
    const kernels = profile.kernels
      .map((k) => k.name)
      .filter((name) => tf.getKernel(name, tf.getBackend()) !== undefined);
    return { loss, kernels, dispatches };
  } finally {
    model.dispose();
  }
}

describe.each(await testBackends())('one training step on $label', ({ label, init, skip }) => {
  beforeAll(async () => {
    if (!skip) await init();
    // The defaults, whatever the environment's flags say: the bounds are for the fused paths.
    setFlag('attention', 'fused');
    setFlag('linear', 'fused');
  });
  afterAll(() => {
    setFlag('attention', null);
    setFlag('linear', null);
  });

  it.skipIf(skip)("stays within the kernel (and dispatch) bounds and has the stock path's loss", async () => {
    const fused = await countStep();
    const histogram = JSON.stringify(
      fused.kernels.reduce((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {} as Record<string, number>),
    );
    expect(fused.kernels.length, `kernels per step: ${histogram}`).toBeLessThanOrEqual(MAX_KERNELS);
    if (label.startsWith('webgpu'))
      expect(fused.dispatches, `dispatches per step; kernels: ${histogram}`).toBeLessThanOrEqual(MAX_DISPATCHES);
    else expect(fused.dispatches).toBe(-1);
    // What the fused path removed: no bias Add or bias Sum (one column sum per linear layer, one for wpe), no GELU
    // kernels, no Add for the residual stream (both residual adds are in GEMM epilogues), for its gradient or for
    // the tied wte's; at most clipping's norm + eps.
    const count = (name: string) => fused.kernels.filter((k) => k === name).length;
    expect(count('NanometaLinear')).toBe(4 * cfg.model.nLayer);
    expect(count('NanometaColumnSum')).toBe(4 * cfg.model.nLayer + 1);
    expect(count('NanometaGelu') + count('NanometaGeluGrad') + count('GatherV2')).toBe(0);
    expect(count('Add')).toBeLessThanOrEqual(1);
    setFlag('linear', 'stock');
    try {
      const stock = await countStep();
      expect(fused.loss).toBeCloseTo(stock.loss, 5);
      expect(stock.kernels.length).toBeGreaterThan(fused.kernels.length);
    } finally {
      setFlag('linear', 'fused');
    }
  });
});
