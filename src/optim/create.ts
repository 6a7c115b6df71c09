// Builds the optimizer of a config's `optimizer` section: a plain base optimizer, or MetaOptimize wrapping
// one (metaoptimize.md), or a learning-rate-free method (optim/lrfree, lr-free.md). Validates what zod cannot: alpha0,
// block patterns vs parameters.
import type { FusedBaseType, OptimizerConfig } from '../config/schema.js';
import { ConfigError } from '../util/errors.js';
import { AdamW } from './adamw.js';
import { resolveBaseSpec, type Convention } from './base-spec.js';
import { paramSpecs } from './fused-optimizer.js';
import { Lion } from './lion.js';
import { buildBlocks } from './metaoptimize/blocks.js';
import { resolveMetaSpec } from './metaoptimize/meta-update.js';
import { MetaOptimize, type MetaStatePlace } from './metaoptimize/metaoptimize.js';
import { RMSProp } from './rmsprop.js';
import { SGD, SGDM } from './sgd.js';
import type { KernelImpl, Optimizer, ParamMap, ParamSpec, TracedOptimizer } from './types.js';
import { createLrFreeOptimizer } from './lrfree/create.js';
import { isLrFree } from './lrfree/spec.js';

export interface CreateOptions {
  /** Kernel implementation: 'auto' (the backend's fused kernel) or 'reference' (stock tf ops). */
  impl?: KernelImpl;
  /** MetaOptimize only: where β lives (default 'auto': on the device on WebGPU, see MetaStatePlace). */
  metaState?: MetaStatePlace;
}

export function createBaseOptimizer(
  cfg: OptimizerConfig,
  params: ParamSpec[],
  convention: Convention,
  impl: KernelImpl = 'auto',
): TracedOptimizer {
  const base = cfg.base;
  if (isLrFree(base.type))
    throw new ConfigError(
      `optimizer.base.type '${base.type}' learns its own step size: MetaOptimize cannot wrap it`,
      'set optimizer.metaOptimize=null',
    );
  const s = resolveBaseSpec({ ...base, type: base.type as FusedBaseType }, convention);
  const common = { weightDecay: s.weightDecay, convention, impl };
  switch (s.type) {
    case 'adamw':
      return new AdamW(params, { ...common, beta1: s.beta1, beta2: s.beta2, eps: s.eps });
    case 'lion':
      return new Lion(params, { ...common, beta1: s.beta1, beta2: s.beta2 });
    case 'sgdm':
      return new SGDM(params, { ...common, momentum: s.momentum });
    case 'sgd':
      return new SGD(params, common);
    case 'rmsprop':
      return new RMSProp(params, { ...common, beta2: s.beta2, eps: s.eps });
  }
}

export function createOptimizer(
  cfg: OptimizerConfig,
  params: ParamMap | ParamSpec[],
  options: CreateOptions = {},
): Optimizer & { bufferCount: number } {
  const specs = paramSpecs(params);
  const dup = specs.find((p, i) => specs.findIndex((q) => q.name === p.name) !== i);
  if (dup) throw new ConfigError(`optimizer: parameter name '${dup.name}' appears twice`);
  if (isLrFree(cfg.base.type)) return createLrFreeOptimizer(cfg, specs, options.impl);
  const mo = cfg.metaOptimize;
  if (!mo) return createBaseOptimizer(cfg, specs, 'standard', options.impl);
  if (!(cfg.lr > 0))
    throw new ConfigError(
      `optimizer.lr is ${cfg.lr}; with MetaOptimize it is the initial step size alpha0 and must be > 0`,
      'e.g. --set optimizer.lr=1e-5',
    );
  const blocks = buildBlocks(
    mo.blocks,
    specs.map((p) => p.name),
  );
  const base = createBaseOptimizer(cfg, specs, mo.convention, options.impl);
  return new MetaOptimize(base, {
    alpha0: cfg.lr,
    gamma: mo.gamma,
    meta: resolveMetaSpec(mo.meta, mo.convention),
    blocks,
    metaState: options.metaState,
    // a schedule multiplies the learned step sizes by its shape, lr(t) / alpha0 (an ablation: the late decay)
    envelope: cfg.schedule.type !== 'constant',
  });
}
