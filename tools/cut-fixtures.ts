// Makes test/fixtures/ from ../shared: TinyStories excerpts (the first N stories of a file, bytes unchanged),
// Apache Arrow's conformance files and the optimizer reference cases (copied), and a `datasets` save_to_disk
// folder built from TinyStories stories. `npx tsx tools/cut-fixtures.ts [--shared DIR]`; test/fixtures/README.md
// names each file's source and licence.
import { Command } from 'commander';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Field,
  Int32,
  Int64,
  RecordBatchStreamWriter,
  Schema,
  Utf8,
  vectorFromArray,
  makeData,
  RecordBatch,
  Struct,
} from 'apache-arrow';
import { DataError, runMain } from '../src/util/errors.js';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures');
const EOT = '\n<|endoftext|>\n';

/** The bytes of `file` up to and including the `<|endoftext|>` line that ends its `count`-th story. */
function headStories(file: string, count: number): string {
  const text = readFileSync(file, 'utf8');
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = text.indexOf(EOT, at);
    if (next < 0) throw new DataError(`${file} holds fewer than ${count} stories`);
    at = next + EOT.length;
  }
  return text.slice(0, at);
}

/** A folder as `datasets.Dataset.save_to_disk` writes it: one Arrow IPC stream, state.json, dataset_info.json. */
function saveToDisk(dir: string, stories: string[]): void {
  mkdirSync(dir, { recursive: true });
  const features = {
    idx: { dtype: 'int32', _type: 'Value' },
    story: { dtype: 'string', _type: 'Value' },
    words: { dtype: 'int64', _type: 'Value' },
  };
  const fields = [
    new Field('idx', new Int32(), true),
    new Field('story', new Utf8(), true),
    new Field('words', new Int64(), true),
  ];
  const schema = new Schema(fields, new Map([['huggingface', JSON.stringify({ info: { features } })]]));
  const columns = [
    vectorFromArray(
      stories.map((_, i) => i),
      new Int32(),
    ).data[0],
    vectorFromArray(stories, new Utf8()).data[0],
    vectorFromArray(
      stories.map((s) => BigInt(s.split(/\s+/).length)),
      new Int64(),
    ).data[0],
  ];
  const batch = new RecordBatch(
    schema,
    makeData({ type: new Struct(fields), length: stories.length, nullCount: 0, children: columns }),
  );
  writeFileSync(join(dir, 'data-00000-of-00001.arrow'), RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true));
  writeFileSync(
    join(dir, 'state.json'),
    JSON.stringify(
      {
        _data_files: [{ filename: 'data-00000-of-00001.arrow' }],
        _fingerprint: 'nanometa0fixture',
        _format_columns: null,
        _format_kwargs: {},
        _format_type: null,
        _output_all_columns: false,
        _split: 'validation',
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(
    join(dir, 'dataset_info.json'),
    JSON.stringify(
      {
        builder_name: 'text',
        config_name: 'default',
        dataset_name: 'tinystories',
        features,
        license: 'cdla-sharing-1.0',
        splits: { validation: { name: 'validation', num_examples: stories.length, dataset_name: 'tinystories' } },
      },
      null,
      2,
    ) + '\n',
  );
}

await runMain(async () => {
  const opts = new Command('cut-fixtures')
    .option('--shared <dir>', 'the shared data folder', join(import.meta.dirname, '..', '..', 'shared'))
    .parse()
    .opts<{ shared: string }>();
  const stories = join(opts.shared, 'data', 'tinystories');
  mkdirSync(join(OUT, 'tinystories'), { recursive: true });
  const valid = headStories(join(stories, 'TinyStories-valid.head1840.txt'), 100);
  writeFileSync(join(OUT, 'tinystories', 'TinyStories-valid.head100.txt'), valid);
  writeFileSync(
    join(OUT, 'tinystories', 'TinyStoriesV2-GPT4-train.head150.txt'),
    headStories(join(stories, 'TinyStoriesV2-GPT4-train.head10000.txt'), 150),
  );

  const testing = join(opts.shared, 'data', 'arrow-fixtures', 'arrow-testing');
  mkdirSync(join(OUT, 'arrow-testing'), { recursive: true });
  for (const name of ['generated_primitive', 'generated_primitive_large_offsets'])
    for (const ext of ['stream', 'arrow_file', 'json.gz'])
      copyFileSync(join(testing, `${name}.${ext}`), join(OUT, 'arrow-testing', `${name}.${ext}`));
  copyFileSync(join(testing, 'LICENSE.txt'), join(OUT, 'arrow-testing', 'LICENSE.txt'));

  const texts = valid
    .split(EOT)
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, 60);
  saveToDisk(join(OUT, 'hf-datasets-tinystories-validation'), texts);

  for (const name of ['metaoptimize-cases.json', 'lrfree-cases.json'])
    copyFileSync(join(opts.shared, 'reference', name), join(OUT, name));
  console.log(`fixtures written to ${OUT}`);
});
