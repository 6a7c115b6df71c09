// Shared data types: tokenizer identity, prepared token streams, and the batch sampler's state.

/** What a tokenizer is; saved with token shards and checkpoints, compared on load. */
export interface TokenizerInfo {
  /** gpt2 = GPT-2 BPE (r50k, gpt-tokenizer); compact = frequent GPT-2 tokens + 256 byte tokens + eot. */
  kind: 'gpt2' | 'compact';
  /** Number of token ids (before padding for the model). */
  vocabSize: number;
  /** End-of-text id in this tokenizer's id space. */
  eotId: number;
  /** Stable hash of everything that defines the id mapping; shards made with another identity are refused. */
  identity: string;
  /** compact only: GPT-2 id of each compact id (length vocabSize; byte tokens map to GPT-2's byte tokens). */
  gpt2Ids?: number[];
}

export interface Tokenizer {
  readonly info: TokenizerInfo;
  /** Encodes text (no end-of-text appended). */
  encode(text: string): number[];
  /** Decodes ids back to text (end-of-text becomes '<|endoftext|>'). */
  decode(ids: ArrayLike<number>): string;
}

/** A read-only stream of token ids (one split), possibly backed by several shard files. */
export interface TokenStream {
  readonly length: number;
  /** Copies tokens [offset, offset + out.length) into out. */
  read(offset: number, out: Int32Array): void;
}

export interface PreparedData {
  train: TokenStream;
  val: TokenStream;
  tokenizer: TokenizerInfo;
  /** One line for the log, e.g. `synthetic: 20000 stories, 2.1M train / 110k val tokens (compact 2305)`. */
  description: string;
}
