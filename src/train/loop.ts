// The training loop, in nanoGPT's order: lr -> eval/checkpoint -> micro-batches -> clip -> optimizer.step
// -> log -> stop. A run folder holds config.json, metrics.jsonl and checkpoint/; --resume continues from
// the checkpoint exactly (batch RNG, optimizer state, metrics rows), also past a finished run's maxSteps.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/schema.js';
import type { BackendInfo } from '../backend/select.js';
import { prepareData } from '../data/prepare.js';
import { BatchSampler, type Batch } from '../data/batches.js';
import { applyDataSchedule } from '../data/nonstationary.js';
import { buildModel } from '../model/gpt.js';
import { paddedVocabSize } from '../model/params.js';
import { createOptimizer } from '../optim/create.js';
import { getLr } from '../optim/schedule.js';
import { assignParams, hasCheckpoint, loadCheckpoint, optimizerStateFrom, saveCheckpoint, TOOLKIT_VERSION, type CheckpointState } from '../checkpoint/checkpoint.js';
import { TrainingError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatCount } from '../util/format.js';
import { checkResumable } from './resume.js';
import { estimateLoss } from './eval.js';
import { atEvalPoint, checkpointPoints, savedTrainingPoint } from './eval-point.js';
import { MetricsLog } from './metrics.js';
import { Progress } from './progress.js';
import { trainStep } from './step.js';
import { adoptTunedGemms, exportTunedGemms, loadTunedGemms, resetGemmTuning, startGemmRecording, type TuneOptions } from '../kernels/matmul/tune.js';
import { tuneWebGPUGemms } from '../kernels/matmul/webgpu.js';

export interface TrainOptions {
  outDir: string;
  resume?: boolean;
  backend: BackendInfo;
  log?: (line: string) => void;
  /**
   * WebGPU: after the first step, time the GEMM kernels' plans for every matrix product the step made and keep
   * the fastest (kernels/matmul/tune.ts; cached per device). Ignored on other backends. An object sets the
   * tuner's cache file, plans per product or timer (tests).
   */
  tuneGemm?: boolean | Pick<TuneOptions, 'cacheFile' | 'topPlans' | 'measure'>;
  /** Set by the entry script on SIGINT: the loop saves a checkpoint and returns after the current step. */
  stopSignal?: { stop: boolean };
}

export interface TrainResult {
  step: number;
  lastLoss: number | null;
  bestValLoss: number | null;
  checkpointDir: string;
}

export async function runTraining(cfg: Config, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const ckptDir = join(opts.outDir, 'checkpoint');
  mkdirSync(opts.outDir, { recursive: true });
  const data = await prepareData(cfg.data, { log });
  const vocabSize = paddedVocabSize(cfg.model, data.tokenizer.vocabSize);
  const model = buildModel(cfg.model, vocabSize, cfg.train.seed);
  const optimizer = createOptimizer(cfg.optimizer, model.params);
  const tokensPerStep = cfg.train.batchSize * cfg.model.blockSize * cfg.train.gradAccumSteps;
  log(`model: ${formatCount(model.paramCount)} parameters (${model.paramCount}), vocab ${vocabSize}; ` +
    `optimizer ${optimizer.name}; ${tokensPerStep} tokens per step`);

  let step = 0, tokensSeen = 0, elapsedBefore = 0, bestValLoss: number | null = null;
  resetGemmTuning(); // kernel choices are per run: a checkpoint's, or this run's tuning
  let restoredGemm = false;
  let sampler = new BatchSampler(data.train, cfg.model.blockSize, cfg.train.batchSize, cfg.train.seed);
  const resuming = opts.resume && hasCheckpoint(ckptDir);
  if (opts.resume && !resuming) log(`resume: no checkpoint in ${ckptDir} yet, starting fresh`);
  if (!opts.resume && hasCheckpoint(ckptDir))
    log(`note: ${opts.outDir} already holds a checkpoint; this fresh run replaces it at its first save (use --resume to continue it)`);
  if (resuming) {
    const ck = loadCheckpoint(ckptDir);
    checkResumable(ck.state, cfg, data.tokenizer, ckptDir);
    assignParams(model.params, ck.params, ckptDir);
    // an optimizer with its own evaluation point saved that in model.safetensors and the training point beside its state
    const trainingPoint = savedTrainingPoint(model.params, ck.optimizerTensors, ckptDir);
    if (trainingPoint) assignParams(model.params, trainingPoint, ckptDir);
    const saved = optimizerStateFrom(ck);
    optimizer.setState(saved); // the optimizer's variables take the values; the loaded tensors are ours to free
    tf.dispose([...saved.tensors.values()]);
    ({ step, tokensSeen, bestValLoss } = ck.state);
    elapsedBefore = ck.state.elapsedSec;
    sampler = new BatchSampler(data.train, cfg.model.blockSize, cfg.train.batchSize, ck.state.dataRng);
    log(`resumed from ${ckptDir} at step ${step} (${formatCount(tokensSeen)} tokens)`);
    const gemm = ck.state.gemmChoices;
    if (gemm && gemm.device === opts.backend.device) {
      log(`gemm: ${adoptTunedGemms(gemm.choices)} tuned kernel choices of this run restored from the checkpoint`);
      restoredGemm = true;
    } else if (gemm) log(`note: the checkpoint's tuned GEMM choices are for ${gemm.device}; this run plans its own (--tune-gemm to tune)`);
  }
  writeFileAtomic(join(opts.outDir, 'config.json'), JSON.stringify({
    ...cfg, run: { paramCount: model.paramCount, vocabSize, tokensPerStep, blockNames: optimizer.blockNames,
      optimizer: optimizer.name, backend: opts.backend, tokenizer: { ...data.tokenizer, gpt2Ids: undefined }, toolkitVersion: TOOLKIT_VERSION },
  }, null, 2));
  const metrics = new MetricsLog(join(opts.outDir, 'metrics.jsonl'));
  metrics.truncateAfter(resuming ? step : null);

  const progress = new Progress(optimizer.blockNames);
  const isMeta = cfg.optimizer.metaOptimize !== null;
  const t0 = performance.now();
  let pausedMs = 0; // GEMM tuning: not training time
  const elapsed = () => elapsedBefore + (performance.now() - t0 - pausedMs) / 1000;
  let lastLoss: number | null = null, lastLr: number[] = [getLr(step, cfg.optimizer, cfg.train.maxSteps)];
  let lastLearned: Record<string, number> | undefined; // learning-rate-free methods: d, eta, s (as of the last read)
  let windowStart = performance.now(), windowTokens = 0, tokensPerSec = 0;
  /** The run's tuned GEMM choices for its checkpoint (none: no field). */
  const gemmState = () => {
    const choices = exportTunedGemms();
    return Object.keys(choices).length ? { gemmChoices: { device: opts.backend.device, choices } } : {};
  };
  const stateFor = (): CheckpointState => {
    const opt = optimizer.getState();
    tf.dispose([...opt.tensors.values()]);
    return {
      format: 1, toolkitVersion: TOOLKIT_VERSION, step, tokensSeen, elapsedSec: elapsed(), bestValLoss,
      dataRng: sampler.getState(), vocabSize, paramCount: model.paramCount, config: cfg, tokenizer: data.tokenizer,
      optimizer: { name: optimizer.name, blockNames: optimizer.blockNames, scalars: opt.scalars },
      ...gemmState(),
    };
  };
  const checkpoint = async () => {
    await optimizer.sync?.(); // state the device still holds (MetaOptimize on WebGPU) comes back first
    const opt = optimizer.getState();
    // model.safetensors holds the evaluation point (Schedule-Free's x, DoG's average), the state the training point
    const points = checkpointPoints(model.params, optimizer);
    for (const [key, t] of points.training) opt.tensors.set(key, t);
    await saveCheckpoint(ckptDir, points.model, opt, stateFor());
    tf.dispose([...opt.tensors.values(), ...(points.model === model.params ? [] : points.model.values())]);
    progress.print(`checkpoint: step ${step} -> ${ckptDir}`);
  };
  const evaluate = async () => {
    const { trainLoss, valLoss } = await atEvalPoint(model.params, optimizer, () => estimateLoss(model, data, cfg, step));
    if (!Number.isFinite(valLoss)) throw new TrainingError(`validation loss is ${valLoss} at step ${step}`);
    bestValLoss = bestValLoss === null ? valLoss : Math.min(bestValLoss, valLoss);
    metrics.append({ step, elapsedSec: elapsed(), tokens: tokensSeen, trainLoss, valLoss });
    progress.print(`eval step ${step}: train loss ${trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)}`);
  };

  const startStep = step; // evals and checkpoints at the resumed step were already done before the stop
  const tuneSettings = typeof opts.tuneGemm === 'object' ? opts.tuneGemm : {};
  // A run is tuned once, at its first step; resumed, it runs what its checkpoint recorded (the cache and any new
  // timing could differ from what the uninterrupted run ran).
  let tunePending = !!opts.tuneGemm && opts.backend.name === 'webgpu' && !restoredGemm;
  if (tunePending) {
    loadTunedGemms(opts.backend.device, tuneSettings.cacheFile);
    startGemmRecording();
  }
  try {
    while (step < cfg.train.maxSteps) {
      const lr = getLr(step, cfg.optimizer, cfg.train.maxSteps);
      if (step % cfg.train.evalInterval === 0 && !(resuming && step === startStep)) await evaluate();
      if (step > startStep && step % cfg.train.checkpointInterval === 0) await checkpoint();
      const batches: Batch[] = [];
      for (let micro = 0; micro < cfg.train.gradAccumSteps; micro++) {
        const batch = sampler.next();
        applyDataSchedule(batch, step, cfg.data, data.tokenizer.vocabSize);
        batches.push(batch);
      }
      const dropoutSeed = (micro: number) => (cfg.model.dropout > 0 ? (cfg.train.seed * 1_000_003 + step * 64 + micro) >>> 0 : undefined);
      const { loss, grads, gradNorm: normTensor, gradScale } = await trainStep(model, batches, cfg.optimizer.gradClip, dropoutSeed);
      const logNow = (step + 1) % cfg.train.logInterval === 0 || step + 1 === cfg.train.maxSteps ||
        (step + 1) % cfg.train.checkpointInterval === 0 || (step + 1) % cfg.train.evalInterval === 0;
      const release = () => tf.dispose([loss, normTensor, ...(gradScale ? [gradScale] : []), ...grads.values()]);
      // Loss and gradient norm are read only when logging (and so before every eval and checkpoint): a read
      // waits for the device. A non-finite value stops the run; checkpoints refuse NaN parameters, so the
      // last good checkpoint survives even if the blow-up happened between two reads.
      const [lossValue, gradNorm] = logNow ? [(await loss.data())[0], (await normTensor.data())[0]] : [null, null];
      if (lossValue !== null && !Number.isFinite(lossValue)) {
        release();
        throw new TrainingError(`loss is ${lossValue} at step ${step + 1}; stopping (the last good checkpoint is kept in ${ckptDir})`,
          'lower optimizer.lr (or alpha0), enable optimizer.gradClip, or check the data');
      }
      if (gradNorm !== null && !Number.isFinite(gradNorm)) {
        release();
        throw new TrainingError(`gradient norm is ${gradNorm} at step ${step + 1}; stopping (the last good checkpoint is kept in ${ckptDir})`,
          'lower optimizer.lr (or alpha0), or check the data');
      }
      let info;
      try {
        info = await optimizer.step(model.params, grads, lr, gradScale);
      } finally {
        release();
      }
      // Step sizes kept on the device are read (and checked) only when logging, like the loss.
      if (info.lr === null && logNow) info = await optimizer.sync!();
      step += 1;
      tokensSeen += tokensPerStep;
      windowTokens += tokensPerStep;
      if (tunePending) {
        tunePending = false;
        const r = await tuneWebGPUGemms({ ...tuneSettings, device: opts.backend.device });
        log(`gemm tuning: ${r.products} matrix products, ${r.tuned} timed, ${r.cached} from the cache, ` +
          `${r.changed} changed from the planner's choice (${(r.ms / 1000).toFixed(1)} s)`);
        windowStart = performance.now(); // the tuning is not training time
        windowTokens = 0;
        pausedMs += r.ms;
      }
      if (info.lr !== null) lastLr = info.lr;
      if (info.learned) lastLearned = info.learned;
      if (lossValue !== null) lastLoss = lossValue;
      const now = performance.now();
      if (now - windowStart > 1000 || logNow) {
        tokensPerSec = (windowTokens / (now - windowStart)) * 1000;
        windowStart = now;
        windowTokens = 0;
      }
      const status = { step, maxSteps: cfg.train.maxSteps, loss: lastLoss, lr: lastLr, learned: lastLearned, tokensPerSec,
        etaSec: ((cfg.train.maxSteps - step) * tokensPerStep) / Math.max(tokensPerSec, 1e-9) };
      if (logNow) {
        metrics.append({ step, loss: lossValue!, lr: isMeta ? lastLr : lastLr[0], ...(lastLearned ? { learned: lastLearned } : {}),
          tokensPerSec, elapsedSec: elapsed(), tokens: tokensSeen, gradNorm: gradNorm! });
        if (step % cfg.train.logInterval === 0 || step === cfg.train.maxSteps) progress.print(progress.line(status));
      }
      progress.update(status);
      if (opts.stopSignal?.stop) {
        progress.print(`interrupted at step ${step}: saving a checkpoint (resume with --resume)`);
        break;
      }
    }
    if (step > startStep && !opts.stopSignal?.stop) await evaluate();
    if (step > startStep || !resuming) await checkpoint();
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  return { step, lastLoss, bestValLoss, checkpointDir: ckptDir };
}
