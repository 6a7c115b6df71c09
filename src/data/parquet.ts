// Converts Parquet files to Arrow IPC files (the data cache's format of record), one row group at a time:
// hyparquet decodes (pure JS, every codec through hyparquet-compressors), apache-arrow writes.
// Follows the Parquet file format spec (PAR1 magic, footer, row groups) and Arrow's IPC file format.
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, readdirSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import { removeStaleTemps } from '../util/atomic-write.js';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { Field, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { DataError } from '../util/errors.js';

const MAGIC = 'PAR1';

/** The parquet files behind a `parquet:` path: the file itself, or a folder's *.parquet sorted by name. */
export function listParquetFiles(path: string): string[] {
  if (!existsSync(path)) throw new DataError(`parquet source ${path} does not exist`, 'give parquet:PATH a .parquet file or a folder of them');
  if (!statSync(path).isDirectory()) return [path];
  const found = readdirSync(path).filter((name) => name.endsWith('.parquet') && !name.startsWith('.')).sort();
  if (found.length === 0) throw new DataError(`${path}: no *.parquet files in this folder`, 'give parquet:PATH a .parquet file or a folder of them');
  return found.map((name) => join(path, name));
}

function checkMagic(path: string): void {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(4), tail = Buffer.alloc(4);
  try {
    readSync(fd, head, 0, 4, 0);
    if (size >= 12) readSync(fd, tail, 0, 4, size - 4);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== MAGIC)
    throw new DataError(`${path}: not a Parquet file (it does not start with '${MAGIC}')`, redo(path));
  if (size < 12 || tail.toString('latin1') !== MAGIC)
    throw new DataError(`${path}: Parquet file is truncated (it does not end with its footer and '${MAGIC}')`, redo(path));
}

function redo(path: string): string {
  return `delete ${path} and download or export it again (an hf: source re-downloads missing shards by itself)`;
}

/** Names of the top-level columns that hold text (BYTE_ARRAY annotated UTF8/STRING). */
function textColumns(metadata: FileMetaData): { all: string[]; text: string[] } {
  const children = parquetSchema(metadata).children;
  const all = children.map((c) => c.element.name);
  const text = children
    .filter((c) => c.element.type === 'BYTE_ARRAY' &&
      (c.element.converted_type === 'UTF8' || c.element.logical_type?.type === 'STRING'))
    .map((c) => c.element.name);
  return { all, text };
}

/**
 * Converts `src` (parquet) to `dst` (Arrow IPC file with one utf8 column per text column of `src`, one
 * record batch per row group). Written to a temporary name and renamed, so `dst` exists only when complete.
 * Returns the number of rows. Throws DataError if `column` is not a text column of `src`.
 */
export async function convertParquetToArrow(src: string, dst: string, column: string): Promise<number> {
  checkMagic(src);
  const file = await asyncBufferFromFile(src);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new DataError(`${src}: corrupt Parquet footer (${(err as Error).message})`, redo(src));
  }
  const { all, text } = textColumns(metadata);
  if (!text.includes(column))
    throw new DataError(`${src}: no text column '${column}'; the columns are: ${all.join(', ')} (text: ${text.join(', ') || 'none'})`,
      'pick the text column with --set data.textColumn=NAME');
  const schema = new Schema(text.map((name) => new Field(name, new Utf8(), true)));
  mkdirSync(dirname(dst), { recursive: true });
  removeStaleTemps(dirname(dst), `.${basename(dst)}.tmp-`);
  const tmp = join(dirname(dst), `.${basename(dst)}.tmp-${process.pid}`);
  const writer = new RecordBatchFileWriter();
  const sink = createWriteStream(tmp);
  const source = writer.toNodeStream();
  source.pipe(sink);
  // After a failure both streams are torn down; a late write into the destroyed sink must not surface
  // as an unhandled 'error' event (the conversion's own error is what the caller gets).
  sink.on('error', () => {});
  writer.reset(undefined, schema);
  let rowStart = 0;
  try {
    for (const rowGroup of metadata.row_groups) {
      const rowEnd = rowStart + Number(rowGroup.num_rows);
      const columns = await readRowGroup(src, file, metadata, text, rowStart, rowEnd);
      const children = text.map((name) => vectorFromArray(columns.get(name)!, new Utf8()).data[0]);
      const data = makeData({ type: new Struct(schema.fields), length: rowEnd - rowStart, nullCount: 0, children });
      writer.write(new RecordBatch(schema, data));
      rowStart = rowEnd;
    }
    writer.finish();
    await finished(sink);
  } catch (err) {
    source.unpipe(sink);
    source.destroy();
    sink.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, dst);
  return rowStart;
}

async function readRowGroup(src: string, file: Awaited<ReturnType<typeof asyncBufferFromFile>>, metadata: FileMetaData,
  columns: string[], rowStart: number, rowEnd: number): Promise<Map<string, (string | null)[]>> {
  const out = new Map(columns.map((name) => [name, new Array<string | null>(rowEnd - rowStart).fill(null)]));
  const decoder = new TextDecoder();
  try {
    await parquetRead({
      file, metadata, columns, rowStart, rowEnd, compressors,
      onChunk(chunk) {
        const target = out.get(chunk.columnName)!;
        for (let i = 0; i < chunk.columnData.length; i++) {
          const value = chunk.columnData[i] as unknown;
          const row = chunk.rowStart + i - rowStart;
          if (row < 0 || row >= target.length) continue;
          target[row] = value == null ? null : typeof value === 'string' ? value : decoder.decode(value as Uint8Array);
        }
      },
    });
  } catch (err) {
    throw new DataError(`${src}: corrupt Parquet data in rows ${rowStart}..${rowEnd} (${(err as Error).message})`, redo(src));
  }
  return out;
}

