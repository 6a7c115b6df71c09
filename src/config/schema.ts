// The one config schema (zod): types, defaults, ranges and the --help text of every key, shared by
// train, sample, bench and compare. Sections: model, data, optimizer, train, sample.
import { z } from 'zod';

const int = (min = 0) => z.number().int().min(min);

export const ModelSchema = z
  .object({
    nLayer: int(1).default(4).describe('number of transformer blocks'),
    nHead: int(1).default(4).describe('attention heads per block (nEmbd must divide by it)'),
    nEmbd: int(1).default(128).describe('embedding width d'),
    blockSize: int(1).default(128).describe('context length T in tokens'),
    vocabSize: int(1)
      .nullable()
      .default(null)
      .describe('vocabulary rows; null = the tokenizer vocabulary padded to padVocabMultiple'),
    padVocabMultiple: int(1).default(64).describe('pad the vocabulary to a multiple of this (GPU-friendly shapes)'),
    bias: z.boolean().default(true).describe('biases in Linear layers and LayerNorms'),
    dropout: z.number().min(0).max(1).default(0).describe('dropout probability (0 = off)'),
    initStd: z.number().positive().default(0.02).describe('std of normal weight init (GPT-2: 0.02)'),
    lossChunkBytes: int(1024)
      .default(1024 * 1024 * 1024)
      .describe(
        'largest logits chunk, in bytes, for the chunked LM head + cross-entropy (also capped by the GPU binding limit)',
      ),
  })
  .strict();

export const DataSchema = z
  .object({
    source: z
      .string()
      .min(1)
      .default('synthetic')
      .describe('synthetic | text:PATH | arrow:PATH | parquet:PATH | hf:OWNER/NAME'),
    textColumn: z.string().default('text').describe('column holding the story text (arrow, parquet, hf)'),
    cacheDir: z.string().default('data').describe('folder for downloads and prepared token shards'),
    tokenizer: z
      .enum(['gpt2', 'compact'])
      .default('gpt2')
      .describe('gpt2 = GPT-2 BPE (r50k); compact = the N most frequent GPT-2 tokens + 256 bytes + end-of-text'),
    compactVocabSize: int(1)
      .default(2048)
      .describe('compact tokenizer: how many frequent GPT-2 tokens to keep (before the 257 byte/eot tokens)'),
    valFraction: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.05)
      .describe('fraction of stories held out for validation when the source has no validation split'),
    valSource: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        "validation stories from another source (same forms as source; its valid split if it has one, else all of it); null = the source's own validation split or data.valFraction of it",
      ),
    syntheticStories: int(1).default(20000).describe('number of stories the synthetic generator writes'),
    seed: int().default(1337).describe('seed of data preparation (synthetic stories, train/val split)'),
    hubUrl: z
      .string()
      .nullable()
      .default(null)
      .describe('Hugging Face endpoint; null = $HF_ENDPOINT or https://huggingface.co'),
    revision: z.string().default('main').describe('dataset revision (branch, tag or commit) for hf: sources'),
    maxTrainShards: int(1).nullable().default(null).describe('hf: download at most this many train shards'),
    maxTrainTokens: int(1).nullable().default(null).describe('stop tokenizing the train split after this many tokens'),
    switchEvery: int(1)
      .nullable()
      .default(null)
      .describe(
        'non-stationary data: switch the training distribution every this many steps (null = off; see src/data/nonstationary.ts)',
      ),
    switchMode: z
      .enum(['permute'])
      .default('permute')
      .describe(
        'permute = in odd phases every token id (inputs and targets) goes through one fixed permutation seeded by data.seed',
      ),
  })
  .strict();

/** The base optimizers MetaOptimize can wrap (one fused NanometaOptimStep each). */
export const FUSED_BASE_TYPES = ['adamw', 'lion', 'sgdm', 'sgd', 'rmsprop'] as const;
/** The learning-rate-free methods (../shared/reference/lr-free.md): their own step sizes, no MetaOptimize. */
export const LRFREE_TYPES = ['schedulefree-adamw', 'prodigy', 'dog', 'dadapt-adam', 'mechanic'] as const;

/** The optimizer mechanic wraps (optimizer.base.inner): AdamW or SGD, with optimizer.lr as its lr. */
export const InnerOptimizerSchema = z
  .object({
    type: z.enum(['adamw', 'sgd']).default('adamw').describe('base optimizer mechanic scales'),
    beta1: z.number().min(0).max(1).optional().describe('adamw: 0.9'),
    beta2: z.number().min(0).max(1).optional().describe('adamw: 0.999'),
    eps: z.number().positive().optional().describe('adamw: 1e-8'),
    weightDecay: z.number().min(0).default(0).describe('decoupled weight decay (multiplied by the lr)'),
  })
  .strict();

/**
 * Keys of the learning-rate-free methods, and which types read them (a key set on another type is refused,
 * naming it). Defaults are the authors' (optim/lrfree/spec.ts fills them in).
 */
export const LRFREE_KEYS = {
  beta3: ['prodigy'],
  warmupSteps: ['schedulefree-adamw'],
  r: ['schedulefree-adamw'],
  weightLrPower: ['schedulefree-adamw'],
  biasCorrection: ['prodigy', 'dadapt-adam'],
  safeguardWarmup: ['prodigy'],
  dCoef: ['prodigy'],
  d0: ['prodigy', 'dadapt-adam'],
  growthRate: ['prodigy', 'dadapt-adam'],
  repsRel: ['dog'],
  averageGamma: ['dog'],
  sDecay: ['mechanic'],
  sInit: ['mechanic'],
  inner: ['mechanic'],
} as const;

/** Keys of the common set (beta1, beta2, momentum, eps) each learning-rate-free type does not read. */
const LRFREE_UNUSED: Record<(typeof LRFREE_TYPES)[number], string[]> = {
  'schedulefree-adamw': ['momentum'],
  prodigy: ['momentum'],
  dog: ['beta1', 'beta2', 'momentum'],
  'dadapt-adam': ['momentum'],
  mechanic: ['beta1', 'beta2', 'momentum', 'weightDecay'],
};

export const BaseOptimizerSchema = z
  .object({
    type: z
      .enum([...FUSED_BASE_TYPES, ...LRFREE_TYPES])
      .default('adamw')
      .describe(
        'base optimizer; schedulefree-adamw | prodigy | dog | dadapt-adam | mechanic set their own step sizes (lr-free.md)',
      ),
    beta1: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('adamw, schedulefree-adamw, prodigy, dadapt-adam: 0.9; lion (c): 0.9'),
    beta2: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'adamw, schedulefree-adamw, prodigy, dadapt-adam: 0.999 (nanoGPT uses 0.95); lion (rho): 0.99; rmsprop: 0.99',
      ),
    momentum: z.number().min(0).max(1).optional().describe('sgdm: 0.9'),
    eps: z.number().positive().optional().describe('adamw, rmsprop, the lr-free methods: 1e-8'),
    weightDecay: z
      .number()
      .min(0)
      .default(0)
      .describe(
        'weight decay on tensors of rank >= 2: decoupled (times the lr) for adamw, lion, sgd(m), rmsprop, schedulefree-adamw (at y), prodigy; added to g for dog and dadapt-adam',
      ),
    beta3: z.number().min(0).max(1).optional().describe('prodigy: EMA of the d estimate; default sqrt(beta2)'),
    warmupSteps: int().optional().describe('schedulefree-adamw: linear lr warmup steps (default 0)'),
    r: z
      .number()
      .min(0)
      .optional()
      .describe('schedulefree-adamw: polynomial weighting power of the average (default 0)'),
    weightLrPower: z
      .number()
      .min(0)
      .optional()
      .describe('schedulefree-adamw: average weights are lr_max^weightLrPower (default 2)'),
    biasCorrection: z
      .boolean()
      .optional()
      .describe('prodigy, dadapt-adam: Adam bias correction in the step (default false)'),
    safeguardWarmup: z.boolean().optional().describe('prodigy: leave lr out of the d denominator (default false)'),
    dCoef: z.number().positive().optional().describe('prodigy: multiplies the d estimate (default 1)'),
    d0: z.number().positive().optional().describe('prodigy, dadapt-adam: initial d (default 1e-6)'),
    growthRate: z
      .number()
      .gt(1)
      .nullable()
      .optional()
      .describe('prodigy, dadapt-adam: d grows at most this factor per step; null = unbounded (default)'),
    repsRel: z.number().positive().optional().describe('dog: first step distance reps_rel*(1 + |x0|) (default 1e-6)'),
    averageGamma: z
      .number()
      .min(0)
      .optional()
      .describe('dog: polynomial-decay average gamma, evaluated at the average (default 8)'),
    sDecay: z.number().min(0).optional().describe('mechanic: s_decay (lambda), default 0.01'),
    sInit: z.number().positive().optional().describe('mechanic: s_init, default 1e-8'),
    inner: InnerOptimizerSchema.optional().describe('mechanic: the optimizer it scales (adamw | sgd), default adamw'),
  })
  .strict()
  .superRefine((base, ctx) => {
    for (const [key, types] of Object.entries(LRFREE_KEYS)) {
      if ((base as Record<string, unknown>)[key] !== undefined && !(types as readonly string[]).includes(base.type))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `optimizer.base.${key} applies only to ${types.join(', ')}, not to type '${base.type}'`,
        });
    }
    const unused = (LRFREE_UNUSED as Record<string, string[]>)[base.type] ?? [];
    for (const key of unused) {
      const value = (base as Record<string, unknown>)[key];
      if (value !== undefined && !(key === 'weightDecay' && value === 0))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `optimizer.base.${key} is not read by type '${base.type}'${base.type === 'mechanic' ? ' (set it on optimizer.base.inner)' : ''}`,
        });
    }
  });

export const ScheduleSchema = z
  .object({
    type: z
      .enum(['constant', 'cosine'])
      .default('constant')
      .describe('learning-rate schedule; with MetaOptimize its shape lr(t) / lr multiplies the learned step sizes'),
    warmupSteps: int().default(0).describe('linear warmup steps (cosine)'),
    decaySteps: int(1).nullable().default(null).describe('cosine reaches minLr here; null = train.maxSteps'),
    minLr: z.number().min(0).default(0).describe('floor of the cosine schedule'),
  })
  .strict();

export const MetaOptimizerSchema = z
  .object({
    type: z
      .enum(['lion', 'adam', 'rmsprop', 'sgd', 'fixed'])
      .default('lion')
      .describe('optimizer of the log step sizes'),
    lr: z.number().min(0).default(1e-3).describe('meta step size eta'),
    beta1: z.number().min(0).max(1).optional().describe('lion (c-bar): 0.9; adam: 0.9'),
    beta2: z.number().min(0).max(1).optional().describe('lion (rho-bar): 0.99; adam, rmsprop: 0.999'),
    eps: z.number().positive().optional().describe('adam, rmsprop (standard convention): 1e-8'),
  })
  .strict();

export const BlocksSchema = z
  .union([z.enum(['scalar', 'layerwise']), z.array(z.array(z.string().min(1)).min(1)).min(1)])
  .describe('scalar | layerwise | [[name patterns], ...] (one block per list)');

export const MetaOptimizeSchema = z
  .object({
    meta: MetaOptimizerSchema.prefault({}),
    gamma: z.number().min(0).max(1).default(1).describe('trace decay gamma (0 = hypergradient descent)'),
    blocks: BlocksSchema.default('scalar'),
    convention: z
      .enum(['standard', 'reference'])
      .default('standard')
      .describe("standard = PyTorch-semantics base optimizers; reference = the authors' experiment code"),
  })
  .strict();

export const OptimizerSchema = z
  .object({
    base: BaseOptimizerSchema.prefault({}),
    lr: z.number().min(0).default(1e-3).describe('fixed lr, cosine peak, or MetaOptimize initial step size alpha0'),
    schedule: ScheduleSchema.prefault({}),
    gradClip: z.number().min(0).default(1).describe('clip the global gradient norm to this (0 = off)'),
    metaOptimize: MetaOptimizeSchema.nullable().default(null).describe('learned step sizes; null = off'),
  })
  .strict();

export const TrainSchema = z
  .object({
    maxSteps: int(1).default(2000).describe('optimizer steps in total (raise it with --resume to extend a run)'),
    batchSize: int(1).default(32).describe('sequences per micro-batch'),
    gradAccumSteps: int(1).default(1).describe('micro-batches per optimizer step'),
    evalInterval: int(1).default(250).describe('evaluate train/val loss every this many steps'),
    evalIters: int(1).default(20).describe('batches per loss estimate'),
    logInterval: int(1).default(10).describe('write a metrics row every this many steps'),
    checkpointInterval: int(1).default(500).describe('save a checkpoint every this many steps'),
    seed: int().default(1337).describe('seed of initialisation, batch order and dropout'),
    evalSeed: int()
      .nullable()
      .default(null)
      .describe(
        'seed of the eval batches; null = train.seed. Fix it to compare runs of different seeds on the same batches',
      ),
  })
  .strict();

export const SampleSchema = z
  .object({
    prompt: z.string().default('Once upon a time').describe('text the samples continue'),
    maxNewTokens: int(1).default(200).describe('tokens to generate per sample'),
    temperature: z.number().min(0).default(0.8).describe('softmax temperature (0 = greedy)'),
    topK: int().default(200).describe('keep the k most likely tokens (0 = off)'),
    topP: z.number().gt(0).max(1).default(1).describe('nucleus sampling mass (1 = off)'),
    numSamples: int(1).default(1).describe('number of samples'),
    seed: int().default(1337).describe('sampling seed'),
  })
  .strict();

export const ConfigSchema = z
  .object({
    model: ModelSchema.prefault({}),
    data: DataSchema.prefault({}),
    optimizer: OptimizerSchema.prefault({}),
    train: TrainSchema.prefault({}),
    sample: SampleSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ModelConfig = Config['model'];
export type DataConfig = Config['data'];
export type OptimizerConfig = Config['optimizer'];
export type BaseOptimizerConfig = OptimizerConfig['base'];
export type InnerOptimizerConfig = z.infer<typeof InnerOptimizerSchema>;
export type LrFreeType = (typeof LRFREE_TYPES)[number];
export type FusedBaseType = (typeof FUSED_BASE_TYPES)[number];
export type MetaOptimizeConfig = NonNullable<OptimizerConfig['metaOptimize']>;
export type ScheduleConfig = OptimizerConfig['schedule'];
export type TrainConfig = Config['train'];
export type SampleConfig = Config['sample'];

/** A config file or preset: any subset of the config, nested. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | null }
    : T;
export type ConfigDelta = DeepPartial<Config>;
