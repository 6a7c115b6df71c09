// text: sources refuse what is not UTF-8 text, with the file and byte offset, instead of training on U+FFFD.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstInvalidUtf8, readTextLines } from '../../src/data/text-lines.js';
import { readStoryFiles } from '../../src/data/sources.js';
import { DataError } from '../../src/util/errors.js';
import { fixture } from '../fixtures.js';
import { tempDir } from '../helpers.js';

const lines = async (file: string) => { const out: string[] = []; for await (const l of readTextLines(file)) out.push(l); return out; };

describe('readTextLines', () => {
  it('gives the lines of UTF-8 text (LF or CRLF, BOM dropped, multi-byte characters across chunk boundaries)', async () => {
    const dir = tempDir();
    const long = 'é'.repeat(600_000); // 1.2 MB: crosses the 1 MiB read chunk inside a 2-byte character
    writeFileSync(join(dir, 'a.txt'), `\uFEFFOnce “upon”\r\na time 😀\n${long}\nend`);
    expect(await lines(join(dir, 'a.txt'))).toEqual(['Once “upon”', 'a time 😀', long, 'end']);
  });

  it('refuses invalid UTF-8 and binary files with the byte offset', async () => {
    const dir = tempDir();
    const cases: [string, Buffer, RegExp][] = [
      ['latin1.txt', Buffer.concat([Buffer.from('Once upon a time, a caf'), Buffer.from([0xe9]), Buffer.from(' opened.\n')]), /is not UTF-8 text: invalid byte sequence at byte offset 23 \(e9 20 6f 70\)/],
      ['cut.txt', Buffer.concat([Buffer.from('end of file '), Buffer.from('😀').subarray(0, 2)]), /is not UTF-8 text: invalid byte sequence at byte offset 12/],
      ['binary.txt', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x14]), /is not a text file: a NUL byte at byte offset 4 \(binary data\?\)/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      const err = await lines(join(dir, name)).catch((e) => e);
      expect(err, name).toBeInstanceOf(DataError);
      expect(err.message, name).toContain(join(dir, name));
      expect(err.message, name).toMatch(message);
    }
  });

  it('reads the TinyStories excerpt to the same stories as a plain split', async () => {
    const stories: string[] = [];
    for await (const s of readStoryFiles([fixture('tinystories', 'TinyStories-valid.head100.txt')])) stories.push(s);
    expect(stories).toHaveLength(100);
  });

  it('firstInvalidUtf8 finds overlong forms, surrogates and stray continuation bytes', () => {
    expect(firstInvalidUtf8(Buffer.from('naïve 日本 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2); // U+D800
    expect(firstInvalidUtf8(Buffer.from([0x80]))).toBe(0);
  });
});
