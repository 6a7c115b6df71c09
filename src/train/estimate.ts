// A word before a long run on a slow backend: before the data is prepared, the compute a step needs (6 x parameters
// x tokens, Kaplan et al. 2020) at the speed measured for tfjs's cpu matrix products; then the measured time of the
// first steps and the projected total. Printed only on a CPU-bound backend and only when the run would be long.
import type { Config } from '../config/schema.js';
import type { BackendInfo } from '../backend/select.js';
import { countParams, paramTable } from '../model/params.js';
import { formatDuration } from '../util/format.js';

/** Matrix-product speed of the tfjs cpu backend on a 2-core AMD EPYC (docs/results; PyTorch CPU does 3.5x this). */
export const CPU_FLOPS = 2.2e9;
/** Runs projected longer than this get the advice. */
export const LONG_RUN_SEC = 30 * 60;
/** Steps timed for the measured estimate: step 1 (warm-up: kernel set-up, first allocations) is left out. */
const MEASURED_STEPS = [2, 3];

const ADVICE =
  'for a run this size use a GPU (--backend webgpu on a machine with one), or a smaller config ' +
  '(--config tinystories-tiny trains in about 3 minutes on a CPU)';

/** Floating-point operations of one optimizer step: 6 x parameters x tokens (forward + backward). */
export function flopsPerStep(cfg: Config, tokenizerVocab: number): number {
  const vocab =
    cfg.model.vocabSize ?? Math.ceil(tokenizerVocab / cfg.model.padVocabMultiple) * cfg.model.padVocabMultiple;
  const params = countParams(paramTable(cfg.model, vocab));
  return 6 * params * cfg.train.batchSize * cfg.model.blockSize * cfg.train.gradAccumSteps;
}

/** The tokenizer's vocabulary as the config implies it (before the data is prepared). */
export function expectedVocab(cfg: Config): number {
  return cfg.data.tokenizer === 'gpt2' ? 50257 : cfg.data.compactVocabSize + 257;
}

/** Before any data is prepared: the line to print, or null when the backend is fast or the run short. */
export function preRunEstimate(cfg: Config, backend: BackendInfo): string | null {
  if (!backend.isSoftware) return null;
  const flops = flopsPerStep(cfg, expectedVocab(cfg));
  const stepSec = flops / CPU_FLOPS;
  if (stepSec * cfg.train.maxSteps < LONG_RUN_SEC) return null;
  return (
    `estimate: a step of this config is ${(flops / 1e12).toFixed(2)} TFLOP; at the ${CPU_FLOPS / 1e9} GFLOP/s measured for tfjs on a CPU ` +
    `that is about ${formatDuration(stepSec)} per step and ${formatDuration(stepSec * cfg.train.maxSteps)} for ${cfg.train.maxSteps} steps ` +
    `on ${backend.name}; ${ADVICE}. The measured time follows after step ${MEASURED_STEPS.at(-1)}.`
  );
}

/** Times the first steps; after the last timed one, says what they took and what the whole run would take. */
export class StepTimer {
  private times: number[] = [];
  private startMs = 0;

  /** `now` reads a clock in milliseconds (a test passes its own). */
  constructor(
    private readonly maxSteps: number,
    private readonly backend: BackendInfo,
    private readonly now = () => performance.now(),
  ) {}

  beginStep(): void {
    this.startMs = this.now();
  }

  /** `step` is the number of the step just finished (1-based); returns a line to print, or null. */
  endStep(step: number, startStep: number): string | null {
    const index = step - startStep;
    if (!this.backend.isSoftware || index > MEASURED_STEPS.at(-1)!) return null;
    if (MEASURED_STEPS.includes(index)) this.times.push((this.now() - this.startMs) / 1000);
    if (index !== MEASURED_STEPS.at(-1)) return null;
    const perStep = this.times.reduce((a, b) => a + b, 0) / this.times.length;
    const remaining = (this.maxSteps - step) * perStep;
    if (remaining < LONG_RUN_SEC) return null;
    return (
      `estimate: steps ${startStep + MEASURED_STEPS[0]}-${step} took ${perStep.toFixed(1)} s each on ${this.backend.device}; ` +
      `the remaining ${this.maxSteps - step} steps would take about ${formatDuration(remaining)}; ${ADVICE}`
    );
  }
}
