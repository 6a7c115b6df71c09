// Random-window batches, nanoGPT style (get_batch): B windows of T+1 tokens at seeded random offsets.
// The sampler's only state is its RNG, so a resumed run draws exactly the batches it would have drawn.
import { Rng, type RngState } from '../util/rng.js';
import type { TokenStream } from './types.js';
import { DataError } from '../util/errors.js';

export interface Batch {
  /** Inputs, (B, T) row-major. */
  x: Int32Array;
  /** Targets: inputs shifted by one, (B, T). */
  y: Int32Array;
  /** [B, T]. */
  shape: [number, number];
}

export class BatchSampler {
  private rng: Rng;
  private window: Int32Array;

  constructor(
    private stream: TokenStream,
    readonly blockSize: number,
    readonly batchSize: number,
    seedOrState: number | RngState,
  ) {
    if (stream.length < blockSize + 2)
      throw new DataError(`the data has ${stream.length} tokens, fewer than one window of ${blockSize + 1}`,
        'use more data or a smaller model.blockSize');
    this.rng = new Rng(seedOrState);
    this.window = new Int32Array(blockSize + 1);
  }

  next(): Batch {
    const T = this.blockSize, B = this.batchSize;
    const x = new Int32Array(B * T), y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const offset = this.rng.int(this.stream.length - T - 1);
      this.stream.read(offset, this.window);
      x.set(this.window.subarray(0, T), b * T);
      y.set(this.window.subarray(1), b * T);
    }
    return { x, y, shape: [B, T] };
  }

  getState(): RngState {
    return this.rng.getState();
  }
}

/** An in-memory token stream (tests, small data). */
export class ArrayTokenStream implements TokenStream {
  constructor(private tokens: ArrayLike<number> & { subarray?: unknown }) {}
  get length(): number {
    return this.tokens.length;
  }
  read(offset: number, out: Int32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.tokens[offset + i];
  }
}
