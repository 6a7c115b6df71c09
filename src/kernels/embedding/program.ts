// WGSL for the embedding backward without float atomics (deterministic, like the cpu loop's order):
// 1. EmbeddingSortProgram: stable counting-rank sort of positions by id; 2. EmbeddingGradProgram: each
// (v, c) thread binary-searches its run of ids and sums dy over it in increasing position order.
import { FlatProgram } from '../program-base.js';

const SORT_TILE = 256;

/** perm (N): positions 0..N-1 ordered by (idx[n], n). pos(n) = #{m : idx[m] < idx[n] or (= and m < n)}. */
export class EmbeddingSortProgram extends FlatProgram {
  readonly shaderKey = 'nanometaEmbeddingSort';
  readonly variableNames = ['indices'];

  constructor(N: number) {
    super([N], SORT_TILE);
  }

  getUserCode(): string {
    // O(N²) compares, staged through workgroup memory one tile at a time; no early return before a barrier.
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
            if (k < key || (k == key && start + j < index)) { pos = pos + 1; }
          }
          workgroupBarrier();
        }
        if (inRange) { result[pos] = index; }
      }
    `;
  }
}

/** dW (V, C): dW[v, c] = sum over j in run(v) of dy[perm[j], c], with run(v) found by binary search. */
export class EmbeddingGradProgram extends FlatProgram {
  readonly shaderKey = 'nanometaEmbeddingGrad';
  readonly variableNames = ['dy', 'indices', 'perm'];

  constructor(V: number, C: number) {
    super([V, C], 64);
  }

  getUserCode(): string {
    return `
      fn lowerBound(v : i32, N : i32) -> i32 {
        var lo = 0;
        var hi = N;
        while (lo < hi) {
          let mid = (lo + hi) / 2;
          if (indices[perm[mid]] < v) { lo = mid + 1; } else { hi = mid; }
        }
        return lo;
      }
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let C = uniforms.dyShape.y;
        let N = uniforms.dyShape.x;
        let v = index / C;
        let c = index - v * C;
        let end = lowerBound(v + 1, N);
        var acc = 0.0;
        for (var j = lowerBound(v, N); j < end; j = j + 1) {
          acc = acc + dy[perm[j] * C + c];
        }
        result[index] = acc;
      }
    `;
  }
}
