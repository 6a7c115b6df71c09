// Readable stock-op version of the fused optimizer step (the math in attrs.ts, float32 tf ops): the test
// oracle for every backend kernel and the fallback on backends with no registered `NmOptimStep`.
import * as tf from '@tensorflow/tfjs-core';
import type { OptimStepAttrs, OptimStepInputs, OptimStepOutputs } from './attrs.js';
import { usesM, usesV } from './attrs.js';

/** Returns new tensors (the caller assigns and disposes them); inputs are not modified. */
export function optimStepReference(inputs: OptimStepInputs, a: OptimStepAttrs): OptimStepOutputs {
  return tf.tidy(() => {
    const { w } = inputs;
    const g = inputs.gs ? tf.mul(inputs.g, tf.reshape(inputs.gs, [])) : inputs.g;
    const s = (x: number) => tf.scalar(x);
    const out: OptimStepOutputs = { w };
    const m = usesM(a.base) ? required(inputs.m, 'm') : null;
    const v = usesV(a.base) ? required(inputs.v, 'v') : null;
    const mNew = m ? tf.add(tf.mul(m, s(a.decay1)), tf.mul(g, s(a.gain1))) : null;
    const vNew = v ? tf.add(tf.mul(v, s(a.decay2)), tf.mul(tf.square(g), s(a.gain2))) : null;
    const denom = () => tf.add(tf.sqrt(tf.add(tf.mul(vNew!, s(a.scale2)), s(a.epsIn))), s(a.epsOut));
    let u: tf.Tensor;
    switch (a.base) {
      case 'adamw': u = tf.div(tf.mul(mNew!, s(a.scale1)), denom()); break;
      case 'rmsprop': u = tf.div(g, denom()); break;
      case 'lion': u = tf.sign(tf.add(tf.mul(m!, s(a.interp)), tf.mul(g, s(1 - a.interp)))); break;
      case 'sgdm': u = a.oldMomentum ? m! : mNew!; break;
      case 'sgd': u = g; break;
    }
    const alpha = a.alphaIndex >= 0 ? tf.reshape(tf.slice(tf.reshape(required(inputs.a, 'a'), [-1]), [a.alphaIndex], [1]), []) : s(a.alpha);
    const delta = tf.mul(tf.add(u, tf.mul(w, s(a.kappa))), alpha); // δ = α(u + κw)
    out.w = tf.sub(w, delta);
    if (mNew) out.m = mNew;
    if (vNew) out.v = vNew;
    if (a.traced) {
      const h = required(inputs.h, 'h');
      if (a.zOut) out.z = tf.reshape(tf.sum(tf.mul(h, g)), [1]) as tf.Tensor1D; // Σ h·g with the old h
      const carry = a.alphaIndex >= 0 ? tf.mul(s(a.gamma), tf.sub(s(1), tf.mul(alpha, s(a.kappa)))) : s(a.gamma * (1 - a.alpha * a.kappa));
      out.h = tf.sub(tf.mul(h, carry), delta);
    }
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as OptimStepOutputs;
}

function required(t: tf.Tensor | undefined, name: string): tf.Tensor {
  if (!t) throw new Error(`NmOptimStep: input ${name} is required for this base optimizer`);
  return t;
}
