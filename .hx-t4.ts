import { readFileSync } from 'node:fs';
import { encodeStories } from './src/data/tokenize-pool.ts';
import { gpt2Info } from './src/data/tokenizer.ts';
const txt = readFileSync('../shared/data/tinystories/TinyStories-valid.head1840.txt','utf8');
const stories = txt.split('\n<|endoftext|>\n');
const big = [...stories, ...stories, ...stories, ...stories, ...stories];
for (const w of [1, 2, 2]) {
  const t0 = performance.now(); let first = 0; let n = 0;
  for await (const c of encodeStories(big, gpt2Info(), { workers: w, inlineChars: 0 })) { if (!first) first = performance.now() - t0; n += c.tokens.length; }
  const s = (performance.now() - t0) / 1000;
  console.log(w, n, 'first chunk', first.toFixed(0), 'ms total', s.toFixed(2), 's', (txt.length * 5 / 1e6 / s).toFixed(2), 'MB/s');
}
