// Reads one text column out of Apache Arrow IPC data, batch by batch: IPC files (`ARROW1`) and streams,
// a folder of them, or a Hugging Face `datasets` save_to_disk folder (its state.json lists the shards).
// Follows the Arrow IPC format spec (columnar.html#ipc-streaming-format / #ipc-file-format).
import { createReadStream, existsSync, openSync, readFileSync, readSync, closeSync, statSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RecordBatchReader, Type, type Vector } from 'apache-arrow';
import { DataError } from '../util/errors.js';

export type ArrowFormat = 'file' | 'stream';

/** Counts what a text reader saw; the caller passes one in and reads it after the iteration. */
export interface TextReadStats {
  files: number;
  rows: number;
  /** Rows whose text was null (skipped). */
  nulls: number;
}

export function newTextReadStats(): TextReadStats {
  return { files: 0, rows: 0, nulls: 0 };
}

const FILE_MAGIC = 'ARROW1';
const ARROW_EXTENSIONS = /\.(arrow|arrows|ipc|feather|arrow_file|stream)$/i;

function readBytes(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const out = Buffer.alloc(length);
    const n = readSync(fd, out, 0, length, position);
    return out.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Tells an IPC file from an IPC stream by its magic, and checks that it is complete: a file must end with
 * its footer and `ARROW1`, a stream with the end-of-stream marker. A missing end means a truncated file.
 */
export function detectArrowFormat(path: string): ArrowFormat {
  const size = statSync(path).size;
  const head = readBytes(path, 0, 8);
  const tail = readBytes(path, Math.max(0, size - 8), 8);
  const regenerate = 'if it was downloaded or converted by nanometa, delete it and run again; otherwise re-export it ' +
    '(pyarrow / datasets save_to_disk write complete files)';
  if (head.subarray(0, 6).toString('latin1') === FILE_MAGIC) {
    if (size < 20 || tail.subarray(2).toString('latin1') !== FILE_MAGIC)
      throw new DataError(`${path}: Arrow IPC file is truncated (it does not end with its footer and '${FILE_MAGIC}')`, regenerate);
    return 'file';
  }
  const continuation = head.length >= 4 && head.readUInt32LE(0) === 0xffffffff;
  const legacyLength = head.length >= 4 ? head.readInt32LE(0) : -1; // pre-0.15 streams start with the length
  if (continuation || (legacyLength > 0 && legacyLength < size)) {
    const eos = tail.length === 8 && tail.readUInt32LE(0) === 0xffffffff && tail.readUInt32LE(4) === 0;
    const legacyEos = tail.length >= 4 && tail.readUInt32LE(tail.length - 4) === 0;
    if (!eos && !(!continuation && legacyEos))
      throw new DataError(`${path}: Arrow IPC stream is truncated (it does not end with the end-of-stream marker)`, regenerate);
    return 'stream';
  }
  throw new DataError(`${path}: not an Arrow IPC file or stream (it starts with neither '${FILE_MAGIC}' nor the ` +
    `stream continuation marker FF FF FF FF)`, 'arrow: takes Arrow IPC files/streams; use parquet:PATH for .parquet and text:PATH for .txt');
}

/**
 * The Arrow files behind an `arrow:` path: the file itself; for a `datasets` save_to_disk folder the
 * shards its state.json lists (in order); for any other folder its Arrow files sorted by name.
 */
export function listArrowFiles(path: string): string[] {
  if (!existsSync(path)) throw new DataError(`arrow source ${path} does not exist`, 'give arrow:PATH an Arrow file or a folder of them');
  if (!statSync(path).isDirectory()) return [path];
  const state = join(path, 'state.json');
  if (existsSync(state)) {
    let files: unknown;
    try {
      files = (JSON.parse(readFileSync(state, 'utf8')) as { _data_files?: unknown })._data_files;
    } catch (err) {
      throw new DataError(`${state}: not valid JSON (${(err as Error).message})`, 're-save the dataset with datasets save_to_disk');
    }
    if (!Array.isArray(files) || files.some((f) => typeof (f as { filename?: unknown })?.filename !== 'string'))
      throw new DataError(`${state}: has no _data_files list of {filename}`, 'is this a datasets save_to_disk folder of one split?');
    return files.map((f) => join(path, (f as { filename: string }).filename));
  }
  const found = readdirSync(path).filter((name) => ARROW_EXTENSIONS.test(name) && !name.startsWith('.')).sort();
  if (found.length === 0) {
    const splits = readdirSync(path).filter((name) => existsSync(join(path, name, 'state.json')));
    const hint = splits.length
      ? `this looks like a DatasetDict; point at one split, e.g. arrow:${join(path, splits[0])}`
      : 'give a folder with .arrow files, an Arrow file, or a datasets save_to_disk split folder';
    throw new DataError(`${path}: no Arrow files (*.arrow, *.arrows, *.ipc, *.feather) in this folder`, hint);
  }
  return found.map((name) => join(path, name));
}

function isTextType(typeId: Type): boolean {
  return typeId === Type.Utf8 || typeId === Type.LargeUtf8;
}

/**
 * Streams the strings of column `column` of one Arrow IPC file or stream, record batch by record batch.
 * Nulls are skipped and counted in `stats`; a missing or non-text column is a DataError listing the columns.
 */
export async function* readArrowFileTexts(path: string, column: string, stats = newTextReadStats()): AsyncGenerator<string> {
  const format = detectArrowFormat(path);
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(createReadStream(path, { highWaterMark: 1 << 20 }));
    await reader.open();
  } catch (err) {
    throw corrupt(path, format, err);
  }
  const fields = reader.schema.fields;
  const field = fields.find((f) => f.name === column);
  if (!field) {
    const names = fields.map((f) => `${f.name} (${f.type})`).join(', ');
    throw new DataError(`${path}: no column '${column}'; the columns are: ${names}`,
      `pick the text column with --set data.textColumn=NAME`);
  }
  if (!isTextType(field.typeId))
    throw new DataError(`${path}: column '${column}' holds ${field.type}, not text (utf8 / large_utf8)`,
      `pick a text column with --set data.textColumn=NAME; the text columns are: ${
        fields.filter((f) => isTextType(f.typeId)).map((f) => f.name).join(', ') || 'none'}`);
  stats.files++;
  const iterator = reader[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<{ getChild(name: string): Vector | null; numRows: number }>;
    try {
      next = await iterator.next();
    } catch (err) {
      throw corrupt(path, format, err);
    }
    if (next.done) break;
    const vector = next.value.getChild(column);
    if (!vector) continue;
    for (let i = 0; i < vector.length; i++) {
      stats.rows++;
      const value = vector.isValid(i) ? (vector.get(i) as string | null) : null;
      if (value === null) stats.nulls++;
      else yield value;
    }
  }
}

/** Streams the text column of every Arrow file behind an `arrow:` path, in order. */
export async function* readArrowTexts(path: string, column: string, stats = newTextReadStats()): AsyncGenerator<string> {
  for (const file of listArrowFiles(path)) yield* readArrowFileTexts(file, column, stats);
}

function corrupt(path: string, format: ArrowFormat, err: unknown): DataError {
  return new DataError(`${path}: corrupt Arrow IPC ${format} (${(err as Error)?.message ?? err}) in ${basename(path)}`,
    'if nanometa made it (data cache), delete it and run again; otherwise re-export the file');
}
