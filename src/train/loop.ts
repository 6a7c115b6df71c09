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
import { hasCheckpoint, TOOLKIT_VERSION } from '../checkpoint/checkpoint.js';
import { saveRunCheckpoint, type RunCounters, type RunIdentity } from '../checkpoint/run-state.js';
import { TrainingError } from '../util/errors.js';
import { resolveFlags } from '../flags.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatCount } from '../util/format.js';
import { resumeFrom } from './resume.js';
import { estimateLoss } from './eval.js';
import { atEvalPoint } from './eval-point.js';
import { MetricsLog } from './metrics.js';
import { Progress, Throughput } from './progress.js';
import { trainStep } from './step.js';
import type { StopSignal } from './interrupt.js';
import { preRunEstimate, StepTimer } from './estimate.js';
import { lockRunFolder } from '../checkpoint/lock.js';
import { describeKeptCheckpoint, recoverRunFolder } from '../checkpoint/recover.js';

export interface TrainOptions {
  outDir: string;
  resume?: boolean;
  backend: BackendInfo;
  log?: (line: string) => void;
  /** Set on SIGINT/SIGTERM (train/interrupt.ts): the loop finishes the current step, saves a checkpoint and returns. */
  stopSignal?: StopSignal;
}

export interface TrainResult {
  step: number;
  lastLoss: number | null;
  bestValLoss: number | null;
  checkpointDir: string;
  /** The run stopped early on opts.stopSignal (its checkpoint is saved). */
  interrupted: boolean;
}

export async function runTraining(cfg: Config, opts: TrainOptions): Promise<TrainResult> {
  // Run-folder hook (checkpoint/lock.ts, checkpoint/recover.ts): one run per folder; a checkpoint stranded by a
  // kill is restored and stale temporaries removed before anything reads or writes the folder.
  const log = opts.log ?? ((line: string) => console.log(line));
  const lock = lockRunFolder(opts.outDir, log);
  try {
    recoverRunFolder(opts.outDir, opts.resume === true, log);
    return await trainInFolder(cfg, opts);
  } finally {
    lock.release();
  }
}

async function trainInFolder(cfg: Config, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const ckptDir = join(opts.outDir, 'checkpoint');
  mkdirSync(opts.outDir, { recursive: true });
  const estimate = preRunEstimate(cfg, opts.backend); // slow backend, long run: say so before preparing data
  if (estimate) log(estimate);
  const data = await prepareData(cfg.data, { log });
  const vocabSize = paddedVocabSize(cfg.model, data.tokenizer.vocabSize);
  const model = buildModel(cfg.model, vocabSize, cfg.train.seed);
  const optimizer = createOptimizer(cfg.optimizer, model.params);
  const tokensPerStep = cfg.train.batchSize * cfg.model.blockSize * cfg.train.gradAccumSteps;
  log(
    `model: ${formatCount(model.paramCount)} parameters (${model.paramCount}), vocab ${vocabSize}; ` +
      `optimizer ${optimizer.name}; ${tokensPerStep} tokens per step`,
  );

  let step = 0,
    tokensSeen = 0,
    elapsedBefore = 0,
    bestValLoss: number | null = null;
  let sampler = new BatchSampler(data.train, cfg.model.blockSize, cfg.train.batchSize, cfg.train.seed);
  const resuming = opts.resume && hasCheckpoint(ckptDir);
  if (opts.resume && !resuming) log(`resume: no checkpoint in ${ckptDir} yet, starting fresh`);
  if (!opts.resume && hasCheckpoint(ckptDir))
    log(
      `note: ${opts.outDir} already holds a checkpoint; this fresh run replaces it at its first save (use --resume to continue it)`,
    );
  if (resuming) {
    const saved = resumeFrom(ckptDir, cfg, data.tokenizer, model.params, optimizer);
    ({ step, tokensSeen, bestValLoss, elapsedSec: elapsedBefore } = saved);
    sampler = new BatchSampler(data.train, cfg.model.blockSize, cfg.train.batchSize, saved.dataRng);
    log(`resumed from ${ckptDir} at step ${step} (${formatCount(tokensSeen)} tokens)`);
  }
  writeFileAtomic(
    join(opts.outDir, 'config.json'),
    JSON.stringify(
      {
        ...cfg,
        run: {
          paramCount: model.paramCount,
          vocabSize,
          tokensPerStep,
          blockNames: optimizer.blockNames,
          optimizer: optimizer.name,
          backend: opts.backend,
          flags: resolveFlags(), // the kernel paths that ran (src/flags.ts)
          tokenizer: { ...data.tokenizer, gpt2Ids: undefined },
          toolkitVersion: TOOLKIT_VERSION,
        },
      },
      null,
      2,
    ),
  );
  const metrics = new MetricsLog(join(opts.outDir, 'metrics.jsonl'));
  metrics.truncateAfter(resuming ? step : null);

  const progress = new Progress(optimizer.blockNames);
  const isMeta = cfg.optimizer.metaOptimize !== null;
  const t0 = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - t0) / 1000;
  let lastLoss: number | null = null,
    lastLr: number[] = [getLr(step, cfg.optimizer, cfg.train.maxSteps)];
  let lastLearned: Record<string, number> | undefined; // learning-rate-free methods: d, eta, s (as of the last read)
  const throughput = new Throughput();
  const run: RunIdentity = { vocabSize, paramCount: model.paramCount, config: cfg, tokenizer: data.tokenizer };
  const counters = (): RunCounters => ({
    step,
    tokensSeen,
    elapsedSec: elapsed(),
    bestValLoss,
    dataRng: sampler.getState(),
  });
  const checkpoint = async (announce = true) => {
    await saveRunCheckpoint(ckptDir, model.params, optimizer, run, counters());
    if (announce) progress.print(`checkpoint: step ${step} -> ${ckptDir}`);
  };
  const evaluate = async () => {
    const { trainLoss, valLoss } = await atEvalPoint(model.params, optimizer, () =>
      estimateLoss(model, data, cfg, step),
    );
    if (!Number.isFinite(valLoss)) throw new TrainingError(`validation loss is ${valLoss} at step ${step}`);
    bestValLoss = bestValLoss === null ? valLoss : Math.min(bestValLoss, valLoss);
    metrics.append({ step, elapsedSec: elapsed(), tokens: tokensSeen, trainLoss, valLoss });
    progress.print(`eval step ${step}: train loss ${trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)}`);
  };

  const startStep = step; // evals and checkpoints at the resumed step were already done before the stop
  const timer = new StepTimer(cfg.train.maxSteps, opts.backend);
  try {
    while (step < cfg.train.maxSteps) {
      timer.beginStep();
      const lr = getLr(step, cfg.optimizer, cfg.train.maxSteps);
      if (step % cfg.train.evalInterval === 0 && !(resuming && step === startStep)) await evaluate();
      if (step > startStep && step % cfg.train.checkpointInterval === 0) await checkpoint();
      const batches: Batch[] = [];
      for (let micro = 0; micro < cfg.train.gradAccumSteps; micro++) {
        const batch = sampler.next();
        applyDataSchedule(batch, step, cfg.data, data.tokenizer.vocabSize);
        batches.push(batch);
      }
      const dropoutSeed = (micro: number) =>
        cfg.model.dropout > 0 ? (cfg.train.seed * 1_000_003 + step * 64 + micro) >>> 0 : undefined;
      const {
        loss,
        grads,
        gradNorm: normTensor,
        gradScale,
      } = await trainStep(model, batches, cfg.optimizer.gradClip, dropoutSeed);
      const logNow =
        (step + 1) % cfg.train.logInterval === 0 ||
        step + 1 === cfg.train.maxSteps ||
        (step + 1) % cfg.train.checkpointInterval === 0 ||
        (step + 1) % cfg.train.evalInterval === 0;
      const release = () => tf.dispose([loss, normTensor, ...(gradScale ? [gradScale] : []), ...grads.values()]);
      // Loss and gradient norm are read only when logging (and so before every eval and checkpoint): a read
      // waits for the device. A non-finite value stops the run; checkpoints refuse NaN parameters, so the
      // last good checkpoint survives even if the blow-up happened between two reads.
      const [lossValue, gradNorm] = logNow ? [(await loss.data())[0], (await normTensor.data())[0]] : [null, null];
      if (lossValue !== null && !Number.isFinite(lossValue)) {
        release();
        throw new TrainingError(
          `loss is ${lossValue} at step ${step + 1}; stopping (${describeKeptCheckpoint(ckptDir)})`,
          'lower optimizer.lr (or alpha0), enable optimizer.gradClip, or check the data',
        );
      }
      if (gradNorm !== null && !Number.isFinite(gradNorm)) {
        release();
        throw new TrainingError(
          `gradient norm is ${gradNorm} at step ${step + 1}; stopping (${describeKeptCheckpoint(ckptDir)})`,
          'lower optimizer.lr (or alpha0), or check the data',
        );
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
      const measured = timer.endStep(step, startStep); // the first steps' time and the projected total (slow backends)
      if (measured) progress.print(measured);
      tokensSeen += tokensPerStep;
      throughput.add(tokensPerStep, logNow);
      if (info.lr !== null) lastLr = info.lr;
      if (info.learned) lastLearned = info.learned;
      if (lossValue !== null) lastLoss = lossValue;
      const { tokensPerSec } = throughput;
      const status = {
        step,
        maxSteps: cfg.train.maxSteps,
        loss: lastLoss,
        lr: lastLr,
        learned: lastLearned,
        tokensPerSec,
        etaSec: throughput.etaSec((cfg.train.maxSteps - step) * tokensPerStep),
      };
      if (logNow) {
        metrics.append({
          step,
          loss: lossValue!,
          lr: isMeta ? lastLr : lastLr[0],
          ...(lastLearned ? { learned: lastLearned } : {}),
          tokensPerSec,
          elapsedSec: elapsed(),
          tokens: tokensSeen,
          gradNorm: gradNorm!,
        });
        if (step % cfg.train.logInterval === 0 || step === cfg.train.maxSteps) progress.print(progress.line(status));
      }
      progress.update(status);
      // Interrupt hook (train/interrupt.ts): tfjs cpu kernels run synchronously, so a signal handler runs only
      // when the loop yields to the event loop; one setImmediate per step costs microseconds.
      await new Promise((resolve) => setImmediate(resolve));
      if (opts.stopSignal?.stop) break;
    }
    const interrupted = opts.stopSignal?.stop === true;
    if (step > startStep && !interrupted) await evaluate();
    if (step > startStep || !resuming) await checkpoint(!interrupted); // interrupted: the entry script says where it went
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  return { step, lastLoss, bestValLoss, checkpointDir: ckptDir, interrupted: opts.stopSignal?.stop === true };
}
