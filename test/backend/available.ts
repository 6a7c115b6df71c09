// Test helper: the backends kernel tests run on (STYLE 18): cpu always, WebGPU on the Mesa software adapter
// when Dawn finds it (CI installs Mesa: libegl1 libegl-mesa0 libgl1-mesa-dri, EGL_PLATFORM=surfaceless), and wasm
// (tfjs-backend-wasm, a dependency: skipped only where its package or binaries are missing).
import * as tf from '@tensorflow/tfjs-core';
import { setUpBackend } from '../../src/kernels/register.js';
import { requestAdapter } from '../../src/backend/webgpu.js';
import { initWasm } from '../../src/backend/wasm.js';

export interface TestBackend {
  /** Shown in the describe title. */
  label: string;
  init: () => Promise<unknown>;
  /** Set when this backend cannot run here; tests are then skipped with this reason in their title. */
  skip?: string;
}

async function softwareWebGPUSkipReason(): Promise<string | undefined> {
  try {
    return (await requestAdapter(true))
      ? undefined
      : 'no Mesa OpenGL adapter (install libegl1 libegl-mesa0 libgl1-mesa-dri)';
  } catch (err) {
    return `Dawn failed to load: ${(err as Error).message}`;
  }
}

/** Why the wasm backend cannot start here (undefined when it can); starting it leaves the active backend as it was. */
async function wasmSkipReason(): Promise<string | undefined> {
  const before = tf.getBackend();
  try {
    await initWasm();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    if (before && before !== tf.getBackend()) await tf.setBackend(before);
  }
}

export async function testBackends(): Promise<TestBackend[]> {
  const skip = await softwareWebGPUSkipReason();
  const wasmSkip = await wasmSkipReason();
  return [
    { label: 'cpu', init: () => setUpBackend('cpu') },
    {
      label: skip ? `webgpu (software) SKIPPED: ${skip}` : 'webgpu (software)',
      init: () => setUpBackend('webgpu', { software: true }),
      skip,
    },
    { label: wasmSkip ? `wasm SKIPPED: ${wasmSkip}` : 'wasm', init: () => setUpBackend('wasm'), skip: wasmSkip },
  ];
}
