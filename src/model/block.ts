// One pre-LayerNorm transformer block (GPT-2 / nanoGPT Block): x + attn(ln_1(x)), then x + mlp(ln_2(x)).
import * as tf from '@tensorflow/tfjs-core';
import { attention } from './attention.js';
import { dropout, gelu, layerNorm, linear } from './layers.js';
import type { ParamMap } from '../optim/types.js';

export function block(
  x: tf.Tensor3D, params: ParamMap, i: number, nHead: number, dropoutRate: number, seed?: number,
): tf.Tensor3D {
  const p = (name: string) => params.get(`h.${i}.${name}`);
  const [B, T, C] = x.shape;
  const a = attention(layerNorm(x, p('ln_1.weight')!, p('ln_1.bias')) as tf.Tensor3D, {
    qkvWeight: p('attn.qkv.weight')!, qkvBias: p('attn.qkv.bias'),
    projWeight: p('attn.proj.weight')!, projBias: p('attn.proj.bias'),
  }, nHead, dropoutRate, seed); // (B, T, C)
  const x1 = tf.add(x, a); // (B, T, C)
  const h = tf.reshape(layerNorm(x1, p('ln_2.weight')!, p('ln_2.bias')), [B * T, C]) as tf.Tensor2D; // (B*T, C)
  const fc = gelu(linear(h, p('mlp.fc.weight')!, p('mlp.fc.bias'))) as tf.Tensor2D; // (B*T, 4C)
  const m = dropout(linear(fc, p('mlp.proj.weight')!, p('mlp.proj.bias')), dropoutRate, seed === undefined ? undefined : seed + 2);
  return tf.add(x1, tf.reshape(m, [B, T, C])); // (B, T, C)
}
