// WGSL for the embedding backward without float atomics (deterministic, in the cpu loop's order):
// 1. sort: stable rank sort of positions by id; 2. starts: where each id's run begins (binary search);
// 3. grad: each (v, 4 columns) thread sums dy over its run in increasing position order.
import { FlatProgram } from '../program-base.js';

const SORT_TILE = 256;

/** perm (N): positions ordered by (idx[n], n); pos(n) = #{m : idx[m] < idx[n] or (idx[m] = idx[n] and m < n)}. */
export class EmbeddingSortProgram extends FlatProgram {
  readonly shaderKey = 'nanometaEmbeddingSort';
  readonly variableNames = ['indices'];

  constructor(N: number) {
    super([N], SORT_TILE);
  }

  getUserCode(): string {
    // O(N²) compares staged through workgroup memory one tile at a time (N = B*T is at most ~10^5, so this
    // is a fraction of a millisecond on a GPU); no early return before a barrier.
    return `
      var<workgroup> tile : array<i32, ${SORT_TILE}>;
      fn main(index : i32) {
        let N = uniforms.size;
        let inRange = index < N;
        var key = 0;
        if (inRange) { key = indices[index]; }
        var pos = 0;
        for (var start = 0; start < N; start = start + ${SORT_TILE}) {
          let m = start + i32(localIndex);
          if (m < N) { tile[localIndex] = indices[m]; }
          workgroupBarrier();
          let count = min(${SORT_TILE}, N - start);
          for (var j = 0; j < count; j = j + 1) {
            let k = tile[j];
            pos = pos + select(0, 1, k < key || (k == key && start + j < index));
          }
          workgroupBarrier();
        }
        if (inRange) { result[pos] = index; }
      }
    `;
  }
}

/** starts (V + 1): starts[v] = first sorted slot whose id is >= v, so id v owns slots [starts[v], starts[v+1]). */
export class EmbeddingStartsProgram extends FlatProgram {
  readonly shaderKey = 'nanometaEmbeddingStarts';
  readonly variableNames = ['indices', 'perm'];

  constructor(V: number) {
    super([V + 1], 64);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        var lo = 0;
        var hi = uniforms.permShape;
        while (lo < hi) {
          let mid = (lo + hi) / 2;
          if (indices[perm[mid]] < index) { lo = mid + 1; } else { hi = mid; }
        }
        result[index] = lo;
      }
    `;
  }
}

/** dW (V, C): dW[v, c] = sum over slots j in [starts[v], starts[v+1]) of dy[perm[j], c]; 4 columns per thread when C % 4 = 0. */
export class EmbeddingGradProgram extends FlatProgram {
  readonly shaderKey: string;
  readonly variableNames: string[];
  readonly variableComponents: number[];
  readonly outputComponent: number;

  /** withResidual: adds dres (V, C), the tied weight's other gradient (the LM head's), as it writes each row. */
  constructor(V: number, C: number, withResidual = false) {
    const width = C % 4 === 0 ? 4 : 1;
    super([V, C], 64, (V * C) / width);
    this.outputComponent = width;
    this.variableNames = withResidual ? ['dy', 'starts', 'perm', 'dres'] : ['dy', 'starts', 'perm'];
    this.variableComponents = withResidual ? [width, 1, 1, width] : [width, 1, 1];
    this.shaderKey = `nanometaEmbeddingGrad${width}${withResidual ? 'r' : ''}`;
  }

  getUserCode(): string {
    const type = this.outputComponent === 4 ? 'vec4<f32>' : 'f32';
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let cols = uniforms.dyShape.y / ${this.outputComponent}; // dy row length in ${type}s
        let v = index / cols;
        let c = index - v * cols;
        var acc = ${type}(0.0);
        for (var j = starts[v]; j < starts[v + 1]; j = j + 1) {
          acc = acc + dy[perm[j] * cols + c];
        }
        result[index] = acc${this.variableNames.length === 4 ? ' + dres[index]' : ''};
      }
    `;
  }
}

/** x (N, C) = weight[indices[n]] + pos[n % T] (token plus position embedding); ids outside [0, V) give the position alone. */
export class EmbedPositionsProgram extends FlatProgram {
  readonly shaderKey = 'nanometaEmbedPositions';
  readonly variableNames = ['weight', 'pos', 'indices'];
  readonly uniforms = 'T : i32, ';

  constructor(N: number, C: number) {
    super([N, C], 64);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let C = uniforms.outShape.y;
        let n = index / C;
        let c = index - n * C;
        let id = indices[n];
        var tok = 0.0;
        if (id >= 0 && id < uniforms.weightShape.x) { tok = weight[id * C + c]; }
        result[index] = tok + pos[(n % uniforms.T) * C + c];
      }
    `;
  }
}
