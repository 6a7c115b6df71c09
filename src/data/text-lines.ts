// Lines of a UTF-8 text file, streamed, refusing what is not text: a byte sequence that is not UTF-8 (it would
// otherwise become U+FFFD and train on garbage) or a NUL byte (a binary file), each with its byte offset.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { DataError } from '../util/errors.js';

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i;
    for (let k = 1; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    const d = b[i + 1];
    // overlong forms, UTF-16 surrogates, code points above U+10FFFF
    if ((c === 0xe0 && d < 0xa0) || (c === 0xed && d > 0x9f) || (c === 0xf0 && d < 0x90) || (c === 0xf4 && d > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}

function notUtf8(file: string, upTo: number): DataError {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(upTo);
  try {
    readSync(fd, head, 0, upTo, 0);
  } finally {
    closeSync(fd);
  }
  const at = firstInvalidUtf8(head);
  const shown = head.subarray(Math.max(at, 0), Math.max(at, 0) + 4).toString('hex').replace(/(..)/g, '$1 ').trim();
  return new DataError(`${file} is not UTF-8 text: invalid byte sequence at byte offset ${at < 0 ? upTo : at} (${shown})`,
    'convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8), or point data.source at the right file');
}

/** The file's lines without their `\n` (or `\r\n`). */
export async function* readTextLines(file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let offset = 0, rest = '';
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const nul = chunk.indexOf(0);
    if (nul >= 0)
      throw new DataError(`${file} is not a text file: a NUL byte at byte offset ${offset + nul} (binary data?)`,
        'text: sources read UTF-8 .txt files; for Arrow or Parquet use arrow:PATH or parquet:PATH');
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw notUtf8(file, offset + chunk.length);
    }
    offset += chunk.length;
    const lines = (rest + text).split('\n');
    rest = lines.pop()!;
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  try {
    rest += decoder.decode(); // a sequence cut off at the end of the file
  } catch {
    throw notUtf8(file, offset);
  }
  if (rest) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
