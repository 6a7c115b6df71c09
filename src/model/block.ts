// One pre-LayerNorm transformer block (GPT-2 / nanoGPT Block): x + attn(ln_1(x)), then x + mlp(ln_2(x)).
// The residual stream stays (N = B*T, C). Each LayerNorm also hands x on (layerNormResidual), so the stream's
// gradient is summed inside the LayerNorm backward kernel; both residual adds are in a GEMM epilogue (the attention's
// and the MLP's output projections, the latter applying GELU too), unless dropout is on.
import * as tf from '@tensorflow/tfjs-core';
import { attention } from './attention.js';
import { dropout, geluLinear, layerNormResidual, linear } from './layers.js';
import type { ParamMap } from './params.js';

/** x (B*T, C) -> (B*T, C). */
export function block(
  x: tf.Tensor2D,
  B: number,
  T: number,
  params: ParamMap,
  i: number,
  nHead: number,
  dropoutRate: number,
  seed?: number,
): tf.Tensor2D {
  const p = (name: string) => params.get(`h.${i}.${name}`);
  const [xs, h1] = layerNormResidual(x, p('ln_1.weight')!, p('ln_1.bias')); // (B*T, C) each
  // x + attn(ln_1(x)): the residual add is in the attention's output projection (or after its dropout).
  const x1 = attention(
    h1,
    B,
    T,
    {
      qkvWeight: p('attn.qkv.weight')!,
      qkvBias: p('attn.qkv.bias'),
      projWeight: p('attn.proj.weight')!,
      projBias: p('attn.proj.bias'),
    },
    nHead,
    dropoutRate,
    seed,
    xs,
  ); // (B*T, C)
  const [x1s, h2] = layerNormResidual(x1, p('ln_2.weight')!, p('ln_2.bias')); // (B*T, C) each
  const u = linear(h2, p('mlp.fc.weight')!, p('mlp.fc.bias')); // (B*T, 4C), before GELU
  // mlp.proj(gelu(u)): GELU is applied as the projection's GEMM loads u, and the residual add is in its epilogue.
  if (dropoutRate > 0 && seed !== undefined) {
    const m = dropout(geluLinear(u, p('mlp.proj.weight')!, p('mlp.proj.bias')), dropoutRate, seed + 2);
    return tf.add(x1s, m) as tf.Tensor2D; // (B*T, C)
  }
  return geluLinear(u, p('mlp.proj.weight')!, p('mlp.proj.bias'), x1s); // (B*T, C)
}
