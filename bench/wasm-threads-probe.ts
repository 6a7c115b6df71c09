// Probe (issue 13, docs/results/wasm.md "Threads"): can tfjs-backend-wasm's threaded SIMD build run under Node 20?
// Forces WASM_HAS_MULTITHREAD_SUPPORT and works around each obstacle in turn, printing how far it gets: the worker
// script's blob: URL (Node's Worker refuses it) replaced through URL.createObjectURL by a file; the main script, sent
// to each worker as a Blob, written to a file by a shim on the worker's message port; the bundle-private names that
// script uses (require$$0.., commonjsGlobal) defined in the worker. PROBE_CORES=1 doubles os.cpus() (tfjs caps its
// threads at cpus/2); PROBE_LOG=1 logs each worker message. An experiment only: nothing in src/ does this.
//   npx tsx bench/wasm-threads-probe.ts; PROBE_CORES=1 PROBE_LOG=1 npx tsx bench/wasm-threads-probe.ts
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
const req = createRequire(import.meta.url);
const pkg = dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const wasm = await import('@tensorflow/tfjs-backend-wasm');
const orig = join(tmpdir(), `nm-worker-orig-${process.pid}.js`);
writeFileSync(
  orig,
  req(join(pkg, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')).wasmWorkerContents.replace(/\n/g, '\\n'),
);
const shim = join(tmpdir(), `nm-worker-shim-${process.pid}.js`);
writeFileSync(
  shim,
  `
const wt = require('worker_threads'); const fs = require('fs'), os = require('os'), path = require('path');
const origOn = wt.parentPort.on.bind(wt.parentPort);
wt.parentPort.on = (ev, handler) => {
  if (ev !== 'message') return origOn(ev, handler);
  let chain = Promise.resolve();
  return origOn('message', (data) => { chain = chain.then(async () => {
    if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') {
      const f = path.join(os.tmpdir(), 'nm-wasm-main-' + process.pid + '-' + wt.threadId + '.js');
      fs.writeFileSync(f, await data.urlOrBlob.text()); data.urlOrBlob = f;
    }
    if (process.env.PROBE_LOG) console.error('worker', wt.threadId, 'cmd', data && data.cmd);
    handler(data);
  }).catch((e) => { console.error('shim', e); }); });
};
Object.assign(global, { require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'), require$$4: require('os'), commonjsGlobal: global });
require(${JSON.stringify(orig)});
`,
);
const create = URL.createObjectURL;
if (process.env.PROBE_CORES) {
  const os = req('os');
  const real = os.cpus();
  os.cpus = () => [...real, ...real];
}
URL.createObjectURL = (obj: Blob) => (obj.type === 'application/javascript' ? shim : create(obj));
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
wasm.setWasmPaths(join(pkg, 'dist') + '/');
wasm.setThreadsCount(2);
const t0 = performance.now();
console.log(
  'setBackend',
  await tf.setBackend('wasm'),
  'threads',
  wasm.getThreadsCount(),
  (performance.now() - t0).toFixed(0),
  'ms',
);
URL.createObjectURL = create;
function time(f: () => tf.Tensor, n = 20) {
  tf.dispose(f());
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = f();
    r.dataSync();
    r.dispose();
  }
  return (performance.now() - t0) / n;
}
for (const [M, K, N] of [
  [512, 64, 832],
  [512, 256, 64],
  [1024, 1024, 1024],
]) {
  const a = tf.randomNormal([M, K]),
    b = tf.randomNormal([K, N]);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const ms = time(() => tf.matMul(a, b), M > 1000 ? 3 : 20);
  const cu = process.cpuUsage(c0);
  console.log('cpu/wall', ((cu.user + cu.system) / 1000 / (performance.now() - w0)).toFixed(2));
  console.log(M, K, N, ms.toFixed(2), 'ms', ((2 * M * N * K) / 1e6 / ms).toFixed(1), 'GFLOP/s');
}
process.exit(0);
