// Every environment switch that changes how nanometa runs, declared in one place (as tfjs declares its flags):
// each NANOMETA_* variable is validated (an unknown variable or value is a ConfigError naming the choices),
// printed with the resolved config by the entry scripts, and recorded in the run's config.json (`run.flags`)
// and in bench.ts's JSON (`flags`), so a result says which paths ran.
//
// Switches live here rather than in the zod config (src/config) because they choose between implementations
// with the same numbers (within float rounding) or how the machine is used, not what is trained: a run's config
// and checkpoint stay the same whichever kernels computed them, and resume, sample and compare work across them.
import { availableParallelism } from 'node:os';
import { ConfigError } from './util/errors.js';

interface FlagSpec<T> {
  env: string;
  about: string;
  /** The value of a set variable, or undefined when it is not one. */
  parse(raw: string): T | undefined;
  /** The allowed values, for the error. */
  allowed: string;
  fallback: () => T;
}

function choice<T extends string>(env: string, choices: readonly T[], about: string): FlagSpec<T> {
  return {
    env,
    about,
    parse: (raw) => choices.find((c) => c === raw),
    allowed: choices.join(' or '),
    fallback: () => choices[0],
  };
}

function bool(env: string, about: string): FlagSpec<boolean> {
  return {
    env,
    about,
    parse: (raw) => (raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined),
    allowed: '1, true, 0 or false',
    fallback: () => false,
  };
}

function count(env: string, about: string, fallback: () => number): FlagSpec<number> {
  return {
    env,
    about,
    parse: (raw) => (/^\d+$/.test(raw) ? Number(raw) : undefined),
    allowed: 'a whole number',
    fallback,
  };
}

const SPECS = {
  attention: choice(
    'NANOMETA_ATTENTION',
    ['fused', 'matmul'] as const,
    'causal self-attention: the fused kernels, or batched products + the causal-softmax kernel (the path attention dropout always takes)',
  ),
  linear: choice(
    'NANOMETA_LINEAR',
    ['fused', 'stock'] as const,
    'linear layers: one kernel with bias, residual and GELU fused, or the stock tfjs ops (the reference, and the path of backends without the kernels)',
  ),
  optimStep: choice(
    'NANOMETA_OPTIM',
    ['in-place', 'programs'] as const,
    'WebGPU optimizer step: one pass per tensor writing its state in place, or one program per output (the path for tensors that cannot be written in place)',
  ),
  webgpuSoftware: bool(
    'NANOMETA_WEBGPU_SOFTWARE',
    "WebGPU: Mesa's software adapter (slow; tests and machines without a GPU)",
  ),
  webgpuProfile: bool(
    'NANOMETA_WEBGPU_PROFILE',
    'WebGPU: timestamp queries, so tf.profile reports GPU time per kernel',
  ),
  tokenizeWorkers: count(
    'NANOMETA_TOKENIZE_WORKERS',
    'threads that tokenize prepared data (0 or 1: this thread); default every core',
    availableParallelism,
  ),
};

export type FlagName = keyof typeof SPECS;
export type Flags = { [K in FlagName]: ReturnType<(typeof SPECS)[K]['fallback']> };

const forced: Partial<Flags> = {};

/** A flag's value: forced (setFlag), else its environment variable's (validated), else its default. */
export function flag<K extends FlagName>(name: K): Flags[K] {
  if (forced[name] !== undefined) return forced[name] as Flags[K];
  const spec = SPECS[name] as unknown as FlagSpec<Flags[K]>;
  const raw = process.env[spec.env];
  if (raw === undefined || raw === '') return spec.fallback();
  const value = spec.parse(raw);
  if (value === undefined)
    throw new ConfigError(
      `${spec.env}=${raw} is not a valid value (${spec.about})`,
      `set ${spec.env} to ${spec.allowed}, or unset it`,
    );
  return value;
}

/** Tests and benchmarks: force a flag's value; null returns it to the environment and default. */
export function setFlag<K extends FlagName>(name: K, value: Flags[K] | null): void {
  if (value === null) delete forced[name];
  else forced[name] = value;
}

/**
 * NANOMETA_* variables that are not flags: defaults for a command's option (no effect on what runs), read by that
 * command. NANOMETA_QUEUE is compare.ts's and worker.ts's --queue, set on sweep machines whose train.ts children
 * inherit it.
 */
const OPTION_DEFAULTS = ['NANOMETA_QUEUE'];

/** Every flag's value; throws a ConfigError for an invalid value or a NANOMETA_* variable that is not a flag. */
export function resolveFlags(): Flags {
  const known = new Set([...Object.values(SPECS).map((s) => s.env), ...OPTION_DEFAULTS]);
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('NANOMETA_') && !known.has(name)) {
      throw new ConfigError(
        `environment variable ${name} is not a nanometa flag`,
        `unset it; the flags are ${[...known].join(', ')} (GEMM variants and planners are bench/matmul's: npx tsx bench/matmul/bench-matmul.ts --help)`,
      );
    }
  }
  return Object.fromEntries(Object.keys(SPECS).map((k) => [k, flag(k as FlagName)])) as Flags;
}

/** Every flag's default (what runs when no NANOMETA_* variable is set). */
export function defaultFlags(): Flags {
  return Object.fromEntries(Object.entries(SPECS).map(([k, s]) => [k, s.fallback()])) as Flags;
}

/** One line for the log: `flags: attention=fused linear=fused ...`. */
export function describeFlags(flags: Flags = resolveFlags()): string {
  return `flags: ${Object.entries(flags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}

/** `--help` text: each flag's variable, values and meaning. */
export function flagsHelp(): string {
  return Object.values(SPECS)
    .map((s) => `  ${s.env}: ${s.allowed}; ${s.about}`)
    .join('\n');
}
