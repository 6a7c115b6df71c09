// The unit of work of tokenization, shared by the main thread and the worker threads so both give the
// same ids: a chunk of stories encoded back to back, one end-of-text token after each story.
import type { Tokenizer } from './types.js';

export interface EncodedChunk {
  /** Ids of all stories of the chunk, each followed by end-of-text. */
  tokens: Uint32Array;
  /** Tokens of each story, end-of-text included (sums to tokens.length). */
  storyTokens: Uint32Array;
}

/** Encodes `stories` in order, appending the end-of-text id after each one. */
export function encodeStoryChunk(tokenizer: Tokenizer, stories: readonly string[]): EncodedChunk {
  const parts: number[][] = [];
  const storyTokens = new Uint32Array(stories.length);
  let total = 0;
  stories.forEach((story, i) => {
    const ids = tokenizer.encode(story);
    parts.push(ids);
    storyTokens[i] = ids.length + 1;
    total += ids.length + 1;
  });
  const tokens = new Uint32Array(total);
  const eot = tokenizer.info.eotId;
  let offset = 0;
  for (const ids of parts) {
    tokens.set(ids, offset);
    offset += ids.length;
    tokens[offset++] = eot;
  }
  return { tokens, storyTokens };
}
