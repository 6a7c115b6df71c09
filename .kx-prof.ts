import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './src/backend/select.js';
import { resolveConfig } from './src/config/resolve.js';
import { buildModel } from './src/model/gpt.js';
import { benchVocabSize } from './bench/train-step.js';
const be = process.argv[2] ?? 'cpu';
await initBackend(be as any, { software: true });
const cfg = await resolveConfig({ config: 'tinystories-tiny', set: process.argv.slice(3) });
const V = benchVocabSize(cfg);
const model = buildModel(cfg.model, V, 1);
const [B, T] = [cfg.train.batchSize, cfg.model.blockSize];
const x = tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => (i * 31) % V), [B, T], 'int32');
const vars = [...model.params.values()];
const run = () => tf.tidy(() => { const { value, grads } = tf.variableGrads(() => model.loss(x, x), vars); return [value, ...Object.values(grads)]; });
for (let i = 0; i < 2; i++) { const r = run(); await r[0].data(); tf.dispose(r); }
const t0 = performance.now();
const info = await tf.profile(async () => { const r = run(); await r[0].data(); tf.dispose(r); return 0 as any; });
console.log('step ms', (performance.now() - t0).toFixed(0), 'kernels', info.kernels.length, 'peak MB', (info.peakBytes / 1e6).toFixed(1));
const by = new Map<string, [number, number]>();
for (const k of info.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0] += k.kernelTimeMs as number; e[1]++; by.set(k.name, e); }
console.log([...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15).map(([n, [ms, c]]) => `${n} ${ms.toFixed(1)}ms x${c}`).join('\n'));
const big = info.kernels.filter(k => k.bytesAdded > 4e6).slice(0, 8).map(k => `${k.name} ${JSON.stringify(k.outputShapes)} +${(k.bytesAdded/1e6).toFixed(1)}MB`);
console.log(big.join('\n'));
