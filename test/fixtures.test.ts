// The committed fixtures: under 1 MB in all, listed in test/fixtures/README.md, and (where ../shared is beside the
// repo) byte-for-byte the excerpts and copies tools/cut-fixtures.ts makes from it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture, needShared } from './fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('test/fixtures', () => {
  const all = files(FIXTURES)
    .map((f) => relative(FIXTURES, f))
    .sort();

  it('stay under 1 MB, and the README names every file', () => {
    const bytes = all.reduce((n, f) => n + statSync(fixture(f)).size, 0);
    expect(bytes).toBeLessThan(1_000_000);
    const readme = readFileSync(fixture('README.md'), 'utf8');
    for (const f of all.filter((f) => f !== 'README.md'))
      expect(readme, f).toContain(f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : f);
  });

  it('copies and excerpts equal their ../shared sources', (ctx) => {
    needShared(ctx, 'reference');
    for (const name of ['metaoptimize-cases.json', 'lrfree-cases.json'])
      expect(readFileSync(fixture(name)).equals(readFileSync(needShared(ctx, 'reference', name))), name).toBe(true);
    for (const name of all.filter((f) => f.startsWith('arrow-testing/')))
      expect(
        readFileSync(fixture(name)).equals(readFileSync(needShared(ctx, 'data', 'arrow-fixtures', name))),
        name,
      ).toBe(true);
    for (const [excerpt, source] of [
      ['TinyStories-valid.head100.txt', 'TinyStories-valid.head1840.txt'],
      ['TinyStoriesV2-GPT4-train.head150.txt', 'TinyStoriesV2-GPT4-train.head10000.txt'],
    ]) {
      const head = readFileSync(fixture('tinystories', excerpt));
      expect(
        readFileSync(needShared(ctx, 'data', 'tinystories', source))
          .subarray(0, head.length)
          .equals(head),
        excerpt,
      ).toBe(true);
    }
  });
});
