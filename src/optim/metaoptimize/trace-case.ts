// Runs one trace case (format of ../shared/reference/metaoptimize-cases.json: a quadratic problem, an
// optimizer section, a step count) through the real optimizer on real tensors, and records per step
// {step, w, h, beta, alpha, z}. Used by tools/optim-trace.ts and the tests.
import * as tf from '@tensorflow/tfjs-core';
import { OptimizerSchema } from '../../config/schema.js';
import { ConfigError } from '../../util/errors.js';
import { createOptimizer, type CreateOptions } from '../create.js';
import type { GradMap, ParamMap } from '../types.js';
import { MetaOptimize } from './metaoptimize.js';

export interface TraceCase {
  problem: { tensors: { name: string; shape: number[]; init: number[] }[]; quadratic: { A: number[][]; b: number[] } };
  optimizer: unknown;
  steps: number;
  note?: string;
  expected?: TraceRecord[];
}

/** One step: w and h after the step (flattened in tensor order), beta after, alpha used, z used. */
export interface TraceRecord {
  step: number;
  w: number[];
  h: number[];
  beta: number[];
  alpha: number[];
  z: number[];
}

/** A file holds one case object, or an object of named cases (pick one with `name`; one case needs none). */
export function selectCase(json: unknown, source: string, name?: string): { name: string; traceCase: TraceCase } {
  if (!json || typeof json !== 'object')
    throw new ConfigError(`${source}: expected a JSON object (one trace case, or cases by name)`);
  const obj = json as Record<string, unknown>;
  if ('problem' in obj) return { name: name ?? 'case', traceCase: checkCase(obj, source) };
  const names = Object.keys(obj);
  const hint = `cases in the file: ${names.join(', ')}`;
  if (name !== undefined) {
    if (!(name in obj)) throw new ConfigError(`${source}: no case named '${name}'`, hint);
    return { name, traceCase: checkCase(obj[name], `${source}#${name}`) };
  }
  if (names.length !== 1)
    throw new ConfigError(`${source} holds ${names.length} cases; choose one with --name CASE`, hint);
  return { name: names[0], traceCase: checkCase(obj[names[0]], `${source}#${names[0]}`) };
}

function checkCase(c: unknown, source: string): TraceCase {
  const tc = c as TraceCase;
  const ok =
    !!tc &&
    typeof tc === 'object' &&
    Array.isArray(tc.problem?.tensors) &&
    Array.isArray(tc.problem?.quadratic?.A) &&
    Array.isArray(tc.problem?.quadratic?.b) &&
    Number.isInteger(tc.steps) &&
    tc.steps >= 0;
  if (!ok)
    throw new ConfigError(
      `${source}: not a trace case (needs problem.tensors, problem.quadratic.{A,b}, optimizer, steps)`,
    );
  const n = tc.problem.tensors.reduce((s, t) => s + t.init.length, 0);
  const { A, b } = tc.problem.quadratic;
  if (A.length !== n || A.some((row) => row.length !== n) || b.length !== n) {
    throw new ConfigError(
      `${source}: quadratic A must be ${n}x${n} and b of length ${n} (the total size of problem.tensors)`,
    );
  }
  return tc;
}

/**
 * Runs the case on the current backend with createOptimizer (no gradient clipping: that is the training
 * loop's job, and the cases' gradients are exact); every tensor it makes is disposed again. A case without
 * metaOptimize runs the plain optimizer and records empty h, beta and z.
 */
export async function runTraceCase(tc: TraceCase, options: CreateOptions = {}): Promise<TraceRecord[]> {
  const parsed = OptimizerSchema.safeParse(tc.optimizer ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`trace case optimizer.${issue.path.join('.')}: ${issue.message}`);
  }
  const params: ParamMap = new Map(
    tc.problem.tensors.map((t) => [t.name, tf.tidy(() => tf.variable(tf.tensor(t.init, t.shape, 'float32')))]),
  );
  const opt = createOptimizer(parsed.data, params, options);
  const A = tf.tensor2d(tc.problem.quadratic.A);
  const b = tf.tensor1d(tc.problem.quadratic.b);
  const records: TraceRecord[] = [];
  try {
    for (let step = 1; step <= tc.steps; step++) {
      const grads = quadraticGrads(params, A, b);
      const stepped = await opt.step(params, grads, parsed.data.lr);
      const info = stepped.lr ? stepped : await opt.sync!();
      for (const g of grads.values()) g.dispose();
      records.push({
        step,
        w: flat(params),
        h: opt instanceof MetaOptimize ? flatState(opt, '/h') : [],
        beta: opt instanceof MetaOptimize ? opt.betas : [],
        alpha: info.lr!,
        z: opt instanceof MetaOptimize ? opt.lastMetaGradient : [],
      });
    }
  } finally {
    opt.dispose();
    tf.dispose([A, b, ...params.values()]);
  }
  return records;
}

/** g = A·w + b over the concatenation of all tensors, split back per tensor. */
function quadraticGrads(params: ParamMap, A: tf.Tensor2D, b: tf.Tensor1D): GradMap {
  const vars = [...params.values()];
  const parts = tf.tidy(() => {
    const w = tf.concat(vars.map((v) => tf.reshape(v, [-1])));
    const g = tf.add(tf.reshape(tf.matMul(A, tf.reshape(w, [-1, 1])), [-1]), b);
    return tf
      .split(
        g,
        vars.map((v) => v.size),
      )
      .map((part, i) => tf.reshape(part, vars[i].shape));
  });
  return new Map([...params.keys()].map((name, i) => [name, parts[i]]));
}

function flat(params: ParamMap): number[] {
  return [...params.values()].flatMap((v) => Array.from(v.dataSync()));
}

function flatState(opt: MetaOptimize, suffix: string): number[] {
  const state = opt.getState();
  const out = opt.base.params.flatMap((p) => Array.from(state.tensors.get(`${p.name}${suffix}`)!.dataSync()));
  tf.dispose([...state.tensors.values()]);
  return out;
}
