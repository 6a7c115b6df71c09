// Worker thread of the tokenization pool (tokenize-pool.ts): GPT-2 BPE (gpt-tokenizer, r50k_base) of each
// {seq, stories} chunk, one end-of-text (50256) after each story, answered as {seq, chunk}. Plain JS, so a
// worker starts fast without a TypeScript loader; it must encode exactly like tokenizer.ts's gpt2Tokenizer
// (test/data/arrow-tokenize-pool.test.ts checks that), and compact ids are mapped on the main thread.
import { parentPort } from 'node:worker_threads';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';

const GPT2_EOT_ID = 50256;
// The end-of-text marker inside a story is ordinary text, never the special token (as in tokenizer.ts).
const ENCODE_OPTIONS = { disallowedSpecial: new Set() };

parentPort.on('message', (job) => {
  try {
    const parts = job.stories.map((story) => encode(story, ENCODE_OPTIONS));
    const storyTokens = new Uint32Array(parts.length);
    let total = 0;
    parts.forEach((ids, i) => {
      storyTokens[i] = ids.length + 1;
      total += ids.length + 1;
    });
    const tokens = new Uint32Array(total);
    let offset = 0;
    for (const ids of parts) {
      tokens.set(ids, offset);
      offset += ids.length;
      tokens[offset++] = GPT2_EOT_ID;
    }
    parentPort.postMessage({ seq: job.seq, chunk: { tokens, storyTokens } }, [tokens.buffer, storyTokens.buffer]);
  } catch (err) {
    parentPort.postMessage({ seq: job.seq, error: err?.stack ?? String(err) });
  }
});
