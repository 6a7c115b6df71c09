// Training-step benchmark (issue 5): real steps (forward, backward, optimizer) of the config's model on
// random tokens, timed after warm-up. Same shapes as ../shared/gpu/torch_gpt_bench.py for side-by-side runs.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../src/backend/types.js';
import { measurePeak, memorySnapshot } from '../src/backend/memory.js';
import { countDispatches } from '../src/backend/webgpu-raw.js';
import { resolveFlags, type Flags } from '../src/flags.js';
import type { Config } from '../src/config/schema.js';
import { GPT2_VOCAB_SIZE } from '../src/data/tokenizer.js';
import { buildModel, type GPT } from '../src/model/gpt.js';
import { paddedVocabSize } from '../src/model/params.js';
import { createOptimizer } from '../src/optim/create.js';
import type { Optimizer } from '../src/optim/types.js';
import type { Batch } from '../src/data/batches.js';
import { trainStep } from '../src/train/step.js';
import { Rng } from '../src/util/rng.js';

export interface BenchOptions {
  steps: number;
  warmup: number;
  /** Add the kernels that took longest in one profiled step (tf.profile) to the result. */
  profile?: boolean;
}

export interface KernelStat {
  name: string;
  count: number;
  ms: number;
}

export interface BenchResult {
  backend: string;
  device: string;
  isSoftware: boolean;
  model: { nLayer: number; nHead: number; nEmbd: number; blockSize: number; vocabSize: number };
  optimizer: string;
  params: number;
  batch: number;
  tokensPerStep: number;
  steps: number;
  medianStepMs: number;
  /** Median host time to issue one step (forward, backward, optimizer) before waiting for the device: when it
   * is close to medianStepMs the step is bound by JavaScript/dispatch overhead, not by the GPU. */
  medianIssueMs: number;
  tokensPerSec: number;
  /** Peak bytes of live tensors during one step (tf.profile), every backend. */
  peakTensorBytes: number;
  /** WebGPU: bytes of GPU buffers allocated (pool included) after the run. */
  gpuBytesAllocated?: number;
  kernelsPerStep: number;
  /** WebGPU: compute dispatches one step queues (a tfjs kernel may dispatch several programs, or none). */
  dispatchesPerStep?: number;
  lossFirst: number;
  lossLast: number;
  /** With `profile`: the 15 kernels with the most total time in one step (then the most calls). */
  topKernels?: KernelStat[];
  /** With `profile`: the same by kernel and input shapes (which matmul, which reduction). */
  topKernelShapes?: KernelStat[];
  /** With `profile`: total GPU (or cpu) kernel time of the profiled step, to compare with the step's wall time. */
  kernelMsTotal?: number;
  /** The flags (src/flags.ts) this run ran with, so each line says which paths ran. */
  flags: Flags;
}

function topKernels(kernels: Array<{ name: string; ms: number }>, n = 15): KernelStat[] {
  const by = new Map<string, KernelStat>();
  for (const k of kernels) {
    const stat = by.get(k.name) ?? { name: k.name, count: 0, ms: 0 };
    stat.count++;
    stat.ms += k.ms;
    by.set(k.name, stat);
  }
  return [...by.values()]
    .sort((a, b) => b.ms - a.ms || b.count - a.count)
    .slice(0, n)
    .map((k) => ({ ...k, ms: +k.ms.toFixed(3) }));
}

/** The model's vocabulary rows as training would see them, without preparing any data. */
export function benchVocabSize(cfg: Config): number {
  const tokenizerVocab = cfg.data.tokenizer === 'gpt2' ? GPT2_VOCAB_SIZE : cfg.data.compactVocabSize + 257;
  return paddedVocabSize(cfg.model, tokenizerVocab);
}

function randomBatch(rng: Rng, B: number, T: number, V: number): Batch {
  const tokens = () => Int32Array.from({ length: B * T }, () => rng.int(V)); // (B, T)
  return { x: tokens(), y: tokens(), shape: [B, T] };
}

/** One real training step (src/train/step.ts: forward, backward, clipping; then the optimizer); returns the loss. */
async function step(model: GPT, opt: Optimizer, batch: Batch, cfg: Config): Promise<tf.Scalar> {
  const { loss, grads, gradNorm, gradScale } = await trainStep(model, [batch], cfg.optimizer.gradClip, () => undefined);
  await opt.step(model.params, grads, cfg.optimizer.lr, gradScale);
  tf.dispose([gradNorm, ...(gradScale ? [gradScale] : []), ...grads.values()]);
  return loss;
}

/** Runs warm-up + timed steps; each timed step ends by reading its loss, which waits for the device. */
export async function benchTrainStep(cfg: Config, backend: BackendInfo, opts: BenchOptions): Promise<BenchResult> {
  const V = benchVocabSize(cfg);
  const [B, T] = [cfg.train.batchSize, cfg.model.blockSize];
  const model = buildModel(cfg.model, V, cfg.train.seed);
  const opt = createOptimizer(cfg.optimizer, model.params);
  const rng = new Rng(cfg.train.seed);
  const batches = Array.from({ length: 4 }, () => randomBatch(rng, B, T, V));
  const losses: number[] = [];
  const times: number[] = [];
  const issues: number[] = [];
  const flags = resolveFlags(); // validated before the first step
  const { warmup } = opts;
  for (let i = 0; i < warmup + opts.steps; i++) {
    const t0 = performance.now();
    const loss = await step(model, opt, batches[i % batches.length], cfg);
    const t1 = performance.now();
    losses.push((await loss.data())[0]);
    loss.dispose();
    if (i >= warmup) {
      times.push(performance.now() - t0);
      issues.push(t1 - t0);
    }
  }
  const peak = await measurePeak(() => step(model, opt, batches[0], cfg));
  peak.result.dispose();
  const counted = await countDispatches(() => step(model, opt, batches[1], cfg));
  counted.result.dispose();
  const memory = memorySnapshot();
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const medianStepMs = median(times);
  opt.dispose();
  model.dispose();
  return {
    backend: backend.name,
    device: backend.device,
    isSoftware: backend.isSoftware,
    model: { nLayer: cfg.model.nLayer, nHead: cfg.model.nHead, nEmbd: cfg.model.nEmbd, blockSize: T, vocabSize: V },
    optimizer: opt.name,
    params: model.paramCount,
    batch: B,
    tokensPerStep: B * T,
    steps: opts.steps,
    medianStepMs: +medianStepMs.toFixed(2),
    medianIssueMs: +median(issues).toFixed(2),
    tokensPerSec: Math.round((B * T) / (medianStepMs / 1000)),
    peakTensorBytes: peak.peakBytes,
    gpuBytesAllocated: memory.gpuBytesAllocated,
    kernelsPerStep: peak.kernelCount,
    ...(counted.dispatches >= 0 ? { dispatchesPerStep: counted.dispatches } : {}),
    lossFirst: +losses[0].toFixed(4),
    lossLast: +losses[losses.length - 1].toFixed(4),
    flags,
    ...(opts.profile
      ? {
          kernelMsTotal: +peak.kernels.reduce((a, k) => a + k.ms, 0).toFixed(2),
          topKernels: topKernels(peak.kernels),
          topKernelShapes: topKernels(
            peak.kernels.map((k) => ({ name: `${k.name} ${k.shapes}`, ms: k.ms })),
            25,
          ),
        }
      : {}),
  };
}
