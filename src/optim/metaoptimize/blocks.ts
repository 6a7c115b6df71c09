// Step-size blocks of MetaOptimize (metaoptimize.md "Blocks"): scalar (one β), layerwise (one β per tensor),
// or groups of parameter-name patterns, each parameter in exactly one group.
import type { MetaOptimizeConfig } from '../../config/schema.js';
import { ConfigError } from '../../util/errors.js';

export interface BlockLayout {
  /** One readable name per block: ['all'], the parameter names, or a group's patterns joined by ', '. */
  names: string[];
  /** Block index of each parameter, in parameter order. */
  blockOf: number[];
}

const KEY = 'optimizer.metaOptimize.blocks';

/**
 * Pattern syntax (whole-name match, case-sensitive): `*` matches any run of characters, dots included;
 * `?` matches one character; everything else is literal. So `h.*.attn.*` matches `h.3.attn.qkv.weight`,
 * `*.bias` every bias, `wte.weight` only itself, and `h.1.*` only layer 1 (not `h.10.*`).
 */
export function patternToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export function buildBlocks(blocks: MetaOptimizeConfig['blocks'], paramNames: string[]): BlockLayout {
  if (blocks === 'scalar') return { names: ['all'], blockOf: paramNames.map(() => 0) };
  if (blocks === 'layerwise') return { names: [...paramNames], blockOf: paramNames.map((_, i) => i) };
  const groups = blocks.map((patterns) => patterns.map(patternToRegExp));
  const names = blocks.map((patterns) => patterns.join(', '));
  const blockOf: number[] = [];
  const unmatched: string[] = [];
  const twice: string[] = [];
  for (const name of paramNames) {
    const hits = groups.flatMap((res, b) => (res.some((re) => re.test(name)) ? [b] : []));
    if (hits.length === 0) unmatched.push(name);
    else if (hits.length > 1) twice.push(`${name} (groups ${hits.map((b) => `[${names[b]}]`).join(' and ')})`);
    blockOf.push(hits[0] ?? -1);
  }
  const hint = `patterns: * = any characters (dots included), ? = one character; every parameter must match exactly one group. Parameters: ${paramNames.join(', ')}`;
  if (unmatched.length) throw new ConfigError(`${KEY}: no group matches parameter(s) ${unmatched.join(', ')}`, hint);
  if (twice.length)
    throw new ConfigError(`${KEY}: parameter(s) matched by more than one group: ${twice.join('; ')}`, hint);
  const empty = names.filter((_, b) => !blockOf.includes(b));
  if (empty.length) throw new ConfigError(`${KEY}: group(s) [${empty.join('], [')}] match no parameter`, hint);
  return { names, blockOf };
}
