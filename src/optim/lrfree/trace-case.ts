// Runs one learning-rate-free trace case (../shared/reference/lrfree-cases.json: a quadratic problem, an
// optimizer section, a step count) and records per step {step, w, wEval, lr, ...learned scalars}: through
// the real optimizer on tensors (impl auto = the backend's kernels, reference = stock tf ops), or through
// the float64 host version (impl host).
import * as tf from '@tensorflow/tfjs-core';
import { OptimizerSchema, type OptimizerConfig } from '../../config/schema.js';
import { ConfigError } from '../../util/errors.js';
import type { TraceCase } from '../metaoptimize/trace-case.js';
import type { GradMap, ParamMap } from '../types.js';
import { createLrFreeOptimizer } from './create.js';
import { createHostOptimizer } from './host.js';
import { isLrFree, resolveLrFreeSpec } from './spec.js';

export interface LrFreeTraceRecord {
  step: number;
  /** Parameters after the step (the training point, where the next gradient is taken), flattened in tensor order. */
  w: number[];
  /** The evaluation point after the step (Schedule-Free's x, DoG's average; otherwise w). */
  wEval: number[];
  /** The step size the step used (see LrFreeOptimizer.describe), and the learned scalars after it. */
  lr: number;
  [learned: string]: number | number[];
}

export type LrFreeImpl = 'auto' | 'reference' | 'host';

export function isLrFreeCase(tc: TraceCase): boolean {
  const base = (tc.optimizer as { base?: { type?: string } } | undefined)?.base;
  return typeof base?.type === 'string' && isLrFree(base.type);
}

function parseOptimizer(tc: TraceCase): OptimizerConfig {
  const parsed = OptimizerSchema.safeParse(tc.optimizer ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`trace case optimizer.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** g = A·w + b over the concatenation of all tensors (float64). */
function quadraticGrad(tc: TraceCase, w: number[]): number[] {
  const { A, b } = tc.problem.quadratic;
  return A.map((row, i) => row.reduce((s, a, j) => s + a * w[j], b[i]));
}

function split(flat: number[], sizes: number[]): number[][] {
  let o = 0;
  return sizes.map((n) => flat.slice(o, (o += n)));
}

export async function runLrFreeTraceCase(tc: TraceCase, impl: LrFreeImpl = 'auto'): Promise<LrFreeTraceRecord[]> {
  const cfg = parseOptimizer(tc);
  const tensors = tc.problem.tensors;
  const sizes = tensors.map((t) => t.init.length);
  const records: LrFreeTraceRecord[] = [];
  if (impl === 'host') {
    const opt = createHostOptimizer(
      resolveLrFreeSpec(cfg.base),
      tensors.map((t) => t.shape),
    );
    const w = tensors.map((t) => Float64Array.from(t.init));
    for (let step = 1; step <= tc.steps; step++) {
      const g = split(
        quadraticGrad(
          tc,
          w.flatMap((x) => [...x]),
        ),
        sizes,
      ).map((x) => Float64Array.from(x));
      opt.step(w, g, cfg.lr);
      records.push({
        step,
        w: w.flatMap((x) => [...x]),
        wEval: opt.evalPoint(w).flatMap((x) => [...x]),
        ...opt.scalars(),
      } as LrFreeTraceRecord);
    }
    return records;
  }
  const params: ParamMap = new Map(
    tensors.map((t) => [t.name, tf.tidy(() => tf.variable(tf.tensor(t.init, t.shape, 'float32')))]),
  );
  const opt = createLrFreeOptimizer(
    cfg,
    tensors.map((t) => ({ name: t.name, shape: t.shape })),
    impl,
  );
  try {
    const read = async (ts: Iterable<tf.Tensor>) =>
      (await Promise.all([...ts].map((t) => t.data()))).flatMap((x) => Array.from(x));
    for (let step = 1; step <= tc.steps; step++) {
      const w = await read(params.values());
      const grads: GradMap = new Map(
        split(quadraticGrad(tc, w), sizes).map((g, i) => [tensors[i].name, tf.tensor(g, tensors[i].shape, 'float32')]),
      );
      await opt.step(params, grads, cfg.lr);
      tf.dispose([...grads.values()]);
      const info = await opt.sync();
      const evalPoint = opt.evalPoint(params) ?? params;
      const wEval = await read(evalPoint.values());
      if (evalPoint !== params) tf.dispose([...evalPoint.values()]);
      records.push({ step, w: await read(params.values()), wEval, lr: info.lr![0], ...info.learned });
    }
  } finally {
    opt.dispose();
    tf.dispose([...params.values()]);
  }
  return records;
}
