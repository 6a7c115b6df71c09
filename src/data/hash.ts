// Stable short hashes (sha256, hex) for identities of tokenizers, sources and prepared data: the same
// inputs always give the same string, on every machine and Node version; and the slugs of folder names.
import { createHash } from 'node:crypto';

/** Hex sha256 of a value's canonical JSON (object keys sorted), cut to `chars` characters. */
export function stableHash(value: unknown, chars = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, chars);
}

/** JSON with object keys in sorted order, so {a, b} and {b, a} hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Makes a string safe as part of a folder name. */
export function slugify(text: string, maxLength = 40): string {
  const slug = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return slug.slice(0, maxLength) || 'data';
}
