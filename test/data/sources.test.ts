// Story sources: reading `<|endoftext|>`-separated .txt files, folders with train/valid files, source
// identities, the seeded story-level hold-out, and errors for bad sources.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSchema } from '../../src/config/schema.js';
import { slugify } from '../../src/data/hash.js';
import { HoldOutPicker, holdOut, readStoryFiles, resolveSource, resolveSources } from '../../src/data/sources.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'nm-sources-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stories = (n: number) => Array.from({ length: n }, (_, i) => `Story ${i}. Once upon a time.\nThe end of ${i}.`);
const cfg = (source: string) => DataSchema.parse({ source });
async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s);
  return out;
}

describe('text sources', () => {
  it('reads stories between <|endoftext|> lines, trimmed, including an unterminated tail', async () => {
    const path = join(dir, 'stories.txt');
    writeFileSync(path, '\nFirst story.  \nSecond line.\n<|endoftext|>\n Second story.\n<|endoftext|>\n\n<|endoftext|>\r\nTail story');
    expect(await collect(readStoryFiles([path]))).toEqual(['First story.  \nSecond line.', 'Second story.', 'Tail story']);
    const source = await resolveSource(cfg(`text:${path}`));
    expect(source.val).toBeNull();
    expect(source.slug).toBe('stories');
    expect(await collect(source.train())).toHaveLength(3);
  });

  it('uses *train*.txt and *valid*.txt of a folder as the two splits', async () => {
    writeFileSync(join(dir, 'my-train.txt'), stories(5).join('\n<|endoftext|>\n'));
    writeFileSync(join(dir, 'my-valid.txt'), stories(2).join('\n<|endoftext|>\n'));
    writeFileSync(join(dir, 'notes.md'), 'ignored');
    const source = await resolveSource(cfg(`text:${dir}`));
    expect(await collect(source.train())).toEqual(stories(5));
    expect(await collect(source.val!())).toEqual(stories(2));
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(resolveSource(cfg(`text:${empty}`))).rejects.toThrow(/the folder has no \*train\*\.txt file \(found: no \.txt files\)/);
  });

  it('has an identity that changes when the file changes', async () => {
    const path = join(dir, 'a.txt');
    writeFileSync(path, stories(3).join('\n<|endoftext|>\n'));
    utimesSync(path, 1000, 1000);
    const id1 = (await resolveSource(cfg(`text:${path}`))).identity;
    expect((await resolveSource(cfg(`text:${path}`))).identity).toBe(id1);
    writeFileSync(path, stories(4).join('\n<|endoftext|>\n'));
    utimesSync(path, 1000, 1000);
    expect((await resolveSource(cfg(`text:${path}`))).identity).not.toBe(id1);
    const syn = await resolveSource(cfg('synthetic'));
    expect((await resolveSource({ ...cfg('synthetic'), seed: 1 })).identity).not.toBe(syn.identity);
    expect((await resolveSource({ ...cfg('synthetic'), syntheticStories: 5 })).identity).not.toBe(syn.identity);
  });

  it('gives clear errors for missing paths and unknown source types', async () => {
    await expect(resolveSource(cfg(`text:${join(dir, 'nope.txt')}`))).rejects.toThrow(/data\.source text:.*nope\.txt: no such file or folder/);
    await expect(resolveSource(cfg('foo:bar'))).rejects.toThrow(/data\.source "foo:bar" has an unknown type "foo"/);
    expect(slugify('../My Stories (v2).txt')).toBe('My-Stories-v2-.txt');
  });
});

describe('data.valSource', () => {
  it("validates on another source's stories: its valid split if it has one, else all of it", async () => {
    writeFileSync(join(dir, 'a-train.txt'), stories(5).join('\n<|endoftext|>\n'));
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'b-train.txt'), stories(7).join('\n<|endoftext|>\n'));
    writeFileSync(join(other, 'b-valid.txt'), stories(3).join('\n<|endoftext|>\n'));
    const train = join(dir, 'a-train.txt');
    const plain = await resolveSources(cfg(`text:${train}`));
    expect(plain.val).toBeNull(); // no valSource: prepareData holds out data.valFraction
    const withFolder = await resolveSources({ ...cfg(`text:${train}`), valSource: `text:${other}` });
    expect(await collect(withFolder.train())).toEqual(stories(5));
    expect(await collect(withFolder.val!())).toEqual(stories(3)); // the folder's valid split
    const withFile = await resolveSources({ ...cfg(`text:${train}`), valSource: `text:${join(other, 'b-train.txt')}` });
    expect(await collect(withFile.val!())).toEqual(stories(7)); // a single file: all of it
    expect(withFile.description).toMatch(/; validation: text: .*b-train\.txt/);
    expect(withFile.identity).not.toBe(withFolder.identity);
    expect(withFile.identity).not.toBe(plain.identity);
    await expect(
      resolveSources({ ...cfg(`text:${train}`), valSource: `text:${join(dir, 'nope.txt')}` }),
    ).rejects.toThrow(/data\.valSource text:.*nope\.txt: no such file or folder/);
  });
});

describe('hold-out split', () => {
  it('holds out exactly the fraction, deterministically by seed, as a partition in order', async () => {
    const all = stories(200);
    const split = async (seed: number) => ({
      train: await collect(holdOut((async function* () { yield* all; })(), 0.05, seed, 'train')),
      val: await collect(holdOut((async function* () { yield* all; })(), 0.05, seed, 'val')),
    });
    const a = await split(1337);
    expect(a.val).toHaveLength(10); // one per window of 20 stories
    expect(a.train).toHaveLength(190);
    expect([...a.train, ...a.val].sort()).toEqual([...all].sort());
    expect(a.train).toEqual(all.filter((s) => !a.val.includes(s)));
    expect(await split(1337)).toEqual(a);
    const b = await split(42);
    expect(b.val).toHaveLength(10);
    expect(b.val).not.toEqual(a.val);
  });

  it('never picks a story twice and handles fractions that do not divide evenly', () => {
    for (const fraction of [0.3, 0.5, 0.01, 0.137]) {
      const picker = new HoldOutPicker(fraction, 9);
      const n = 1000;
      let val = 0;
      for (let i = 0; i < n; i++) if (picker.isVal()) val++;
      expect(Math.abs(val - n * fraction)).toBeLessThanOrEqual(2);
    }
    const none = new HoldOutPicker(0, 9);
    expect(Array.from({ length: 50 }, () => none.isVal()).some(Boolean)).toBe(false);
  });
});
