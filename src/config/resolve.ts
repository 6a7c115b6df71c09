// Config resolution (STYLE 10): schema defaults -> configs/<name>.ts -> --optim preset -> --set a.b=v.
// Every error names the key path, the bad value and what is allowed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigSchema, type Config, type ConfigDelta } from './schema.js';
import { ConfigError } from '../util/errors.js';

export const CONFIGS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');

export interface ResolveOptions {
  /** A name in configs/ (e.g. `tinystories-tiny`) or a path to a .ts/.js/.json config (a run's config.json works). */
  config?: string;
  /** A preset in configs/optim/; it replaces the whole optimizer section. */
  optim?: string;
  /** `a.b=value` overrides, applied last, in order. */
  set?: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export async function resolveConfig(opts: ResolveOptions = {}): Promise<Config> {
  let delta: JsonObject = {};
  if (opts.config) delta = deepMerge(delta, await loadConfigDelta(opts.config));
  if (opts.optim) delta = { ...delta, optimizer: await loadOptimPreset(opts.optim) };
  for (const assignment of opts.set ?? []) delta = deepMerge(delta, parseSet(assignment));
  return validateConfig(delta, opts.config ?? 'defaults');
}

/** Validates a (partial) config object, filling defaults; throws ConfigError listing every problem. */
export function validateConfig(raw: unknown, origin = 'config'): Config {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, raw));
    throw new ConfigError(
      `invalid config (${origin}):\n  ${lines.join('\n  ')}`,
      'see `npx tsx train.ts --help-config` for every key, its type and default',
    );
  }
  const cfg = parsed.data;
  const problems: string[] = [];
  if (cfg.model.nEmbd % cfg.model.nHead !== 0)
    problems.push(`model.nEmbd (${cfg.model.nEmbd}) must be divisible by model.nHead (${cfg.model.nHead})`);
  const { lr, schedule } = cfg.optimizer;
  if (schedule.type === 'cosine' && schedule.minLr > lr)
    problems.push(
      `optimizer.schedule.minLr (${schedule.minLr}) is above optimizer.lr (${lr}): the cosine schedule would raise the lr ` +
        `to minLr instead of decaying to it; set minLr below lr (nanoGPT uses lr/10)`,
    );
  problems.push(...sizeProblems(cfg));
  if (problems.length) throw new ConfigError(`invalid config (${origin}):\n  ${problems.join('\n  ')}`);
  return Object.freeze(cfg) as Config;
}

/** Tensors a step must hold in one piece: above 2^31 floats (8 GiB) no backend allocates them (a RangeError deep in tfjs). */
const MAX_TENSOR = 2 ** 31;

function sizeProblems(cfg: Config): string[] {
  const { blockSize: T, nEmbd: C, nHead: H } = cfg.model;
  const B = cfg.train.batchSize;
  const floats = (n: number) => `${n.toExponential(2)} floats (${((n * 4) / 2 ** 30).toFixed(1)} GiB)`;
  const out: string[] = [];
  if (B * H * T * T > MAX_TENSOR)
    out.push(
      `model.blockSize ${T}: one layer's attention scores (train.batchSize x model.nHead x blockSize^2) would be ${floats(B * H * T * T)}, ` +
        `more than a tensor can hold (${floats(MAX_TENSOR)}); lower model.blockSize or train.batchSize`,
    );
  else if (T * C > MAX_TENSOR || B * T * 4 * C > MAX_TENSOR)
    out.push(
      `model.blockSize ${T} x model.nEmbd ${C}: the position table or an MLP activation would exceed ${floats(MAX_TENSOR)}; lower them`,
    );
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(issue.path.map(String));
    return issue.keys
      .map((k) => `unknown key '${path ? `${path}.` : ''}${k}'; allowed: ${allowed.join(', ')}`)
      .join('\n  ');
  }
  const value = issue.path.reduce<unknown>(
    (o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined),
    raw,
  );
  return `${path}: ${issue.message} (got ${JSON.stringify(value)})`;
}

/** JSON Schema of the whole config (zod's), used for --help and --set type checking. */
const JSON_SCHEMA = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  anyOf?: JsonSchemaNode[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  items?: JsonSchemaNode;
}

function schemaAt(path: string[]): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = JSON_SCHEMA;
  for (const key of path) {
    node = objectBranch(node)?.properties?.[key];
    if (!node) return undefined;
  }
  return node;
}

function objectBranch(node: JsonSchemaNode | undefined): JsonSchemaNode | undefined {
  if (!node) return undefined;
  if (node.properties) return node;
  return node.anyOf?.find((n) => n.properties);
}

function allowedKeys(path: string[]): string[] {
  return Object.keys(objectBranch(schemaAt(path))?.properties ?? {});
}

function nodeTypes(node: JsonSchemaNode): string[] {
  const own = node.enum ? ['enum'] : node.type ? [node.type].flat() : [];
  return [...own, ...(node.anyOf ?? []).flatMap(nodeTypes)];
}

/** Parses `a.b=value` into a nested delta, converting the value by the key's type in the schema. */
export function parseSet(assignment: string): JsonObject {
  const eq = assignment.indexOf('=');
  if (eq <= 0)
    throw new ConfigError(`--set '${assignment}' is not of the form key.path=value`, 'e.g. --set train.maxSteps=500');
  const path = assignment.slice(0, eq).trim().split('.');
  const text = assignment.slice(eq + 1).trim();
  const node = schemaAt(path);
  if (!node) {
    const parent = path.slice(0, -1);
    const allowed = allowedKeys(parent);
    throw new ConfigError(
      `--set: unknown key '${path.join('.')}'` +
        (allowed.length ? `; allowed under '${parent.join('.') || '(top)'}': ${allowed.join(', ')}` : ''),
    );
  }
  const types = nodeTypes(node);
  let value: Json;
  if (text === 'null' && types.includes('null')) value = null;
  else if ((types.includes('number') || types.includes('integer')) && text !== '' && Number.isFinite(Number(text)))
    value = Number(text);
  else if (types.includes('boolean') && (text === 'true' || text === 'false')) value = text === 'true';
  else if ((types.includes('object') || types.includes('array')) && /^[[{]/.test(text)) {
    try {
      value = JSON.parse(text) as Json;
    } catch {
      throw new ConfigError(`--set ${path.join('.')}: '${text}' is not valid JSON`);
    }
  } else if (types.includes('string') || types.includes('enum') || types.length === 0) value = text;
  else throw new ConfigError(`--set ${path.join('.')}=${text}: expected ${types.join(' or ')}`);
  const out: JsonObject = {};
  let cursor = out;
  path.slice(0, -1).forEach((key) => (cursor = cursor[key] = {}));
  cursor[path[path.length - 1]] = value;
  return out;
}

async function loadConfigDelta(nameOrPath: string): Promise<JsonObject> {
  const path = findFile(nameOrPath, CONFIGS_DIR, 'config', 'configs/');
  if (extname(path) === '.json') {
    let raw: JsonObject;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    } catch (err) {
      throw new ConfigError(`cannot parse ${path}: ${(err as Error).message}`);
    }
    delete raw.run; // a run folder's config.json carries derived facts beside the config
    return raw;
  }
  const mod = (await importConfigModule(path, nameOrPath, 'config')) as { config?: ConfigDelta };
  if (!mod.config)
    throw new ConfigError(`${path} does not export \`config\``, 'write `export const config: ConfigDelta = {...}`');
  return mod.config as JsonObject;
}

async function loadOptimPreset(name: string): Promise<JsonObject> {
  const path = findFile(name, join(CONFIGS_DIR, 'optim'), 'optimizer preset', 'configs/optim/');
  const mod = (await importConfigModule(path, name, 'optim')) as { optimizer?: JsonObject };
  if (!mod.optimizer) throw new ConfigError(`${path} does not export \`optimizer\``);
  return mod.optimizer;
}

/** True for a bare built-in name (`tinystories-15m`), false for a file path. */
function isPath(nameOrPath: string): boolean {
  return /[/\\]|\.(ts|js|json)$/.test(nameOrPath);
}

/**
 * Built-in names are imported through a template-literal import so that bundlers (esbuild, for the GPU
 * machine's single-file bench) include every file of configs/ and configs/optim/; paths are imported as given.
 */
async function importConfigModule(path: string, nameOrPath: string, kind: 'config' | 'optim'): Promise<unknown> {
  if (isPath(nameOrPath)) return import(pathToFileURL(path).href);
  return kind === 'config' ? import(`../../configs/${nameOrPath}.ts`) : import(`../../configs/optim/${nameOrPath}.ts`);
}

/** In a bundle configs/ may not exist on disk: then built-in names are not checked here but by the import. */
function findFile(nameOrPath: string, dir: string, what: string, shown: string): string {
  if (isPath(nameOrPath)) {
    const path = resolvePath(nameOrPath);
    if (!existsSync(path)) throw new ConfigError(`${what} file not found: ${path}`);
    return path;
  }
  const path = join(dir, `${nameOrPath}.ts`);
  if (existsSync(dir) && !existsSync(path))
    throw new ConfigError(`unknown ${what} '${nameOrPath}'`, `available in ${shown}: ${listNames(dir).join(', ')}`);
  return path;
}

export function listNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}

function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The --help-config text: every key with its type, default and description, from the schema. */
export function describeConfigKeys(): string {
  const lines: string[] = [];
  const walk = (node: JsonSchemaNode, prefix: string) => {
    const obj = objectBranch(node);
    if (obj?.properties && (node.properties || !prefix.includes('metaOptimize.meta.'))) {
      for (const [key, child] of Object.entries(obj.properties)) {
        const path = prefix ? `${prefix}.${key}` : key;
        const childObj = objectBranch(child);
        if (childObj?.properties) {
          if (child.description) lines.push(`${path}  ${child.description}`);
          walk(child, path);
        } else {
          const type = child.enum ? child.enum.join('|') : nodeTypes(child).join('|');
          lines.push(
            `  ${path.padEnd(36)} ${type.padEnd(22)} default ${JSON.stringify(child.default)}  ${child.description ?? ''}`,
          );
        }
      }
    }
  };
  walk(JSON_SCHEMA, '');
  return lines.join('\n');
}
