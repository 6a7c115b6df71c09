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

/** A corpus of stories: what `data.source` names (data/sources.ts, data/arrow-sources.ts build them). */
export interface StorySource {
  /** Hash of everything the stories depend on (file paths, sizes and mtimes; generator version, seed, count...). */
  readonly identity: string;
  /** One line for the log, e.g. `text: ../shared/data/x.txt (1.4 MB)`. */
  readonly description: string;
  /** Short readable name for the prepared-data folder, e.g. `synthetic-20000` (letters, digits, `-`, `.`, `_`). */
  readonly slug: string;
  /** Total bytes of text, if known (progress and ETA). */
  readonly totalBytes?: number;
  /** The train split's stories, in a fixed order; each call starts a fresh pass. */
  train(): AsyncIterable<string>;
  /** The source's own validation split; null = prepareData holds out data.valFraction of train (holdOut). */
  readonly val: (() => AsyncIterable<string>) | null;
}
