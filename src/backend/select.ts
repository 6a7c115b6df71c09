// Backend selection for --backend auto|cpu|wasm|webgpu|tensorflow (issue 2, "Backends"; wasm: issue 13).
// auto: tensorflow (if installed), then a hardware WebGPU adapter, then wasm, then cpu. Prints nothing; returns BackendInfo.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu'; // registers the 'cpu' backend and its kernels with tfjs-core
import './tfjs-gradients.js';
import { cpus } from 'node:os';
import { registerKernels } from '../kernels/register.js';
import { BackendError } from '../util/errors.js';
import { initTensorflow } from './tensorflow.js';
import type { BackendChoice, BackendInfo, BackendOptions } from './types.js';
import { initWasm, tryWasm } from './wasm.js';
import { initWebGPU, softwareFromEnv } from './webgpu.js';

export type { BackendChoice, BackendInfo, BackendName, BackendOptions } from './types.js';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'wasm', 'webgpu', 'tensorflow'];

async function initCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new BackendError('tfjs could not start the cpu backend', 'reinstall with `npm install`');
  quietFirstWrite();
  const cores = cpus();
  const model = cores[0]?.model.trim() || 'unknown CPU';
  return { name: 'cpu', device: `tfjs cpu (JavaScript) on ${model}, ${cores.length} cores`, isSoftware: true };
}

/** The cpu backend's first tensor write prints an install-tfjs-node banner; backend/ prints nothing itself. */
function quietFirstWrite(): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true); // only silences tfjs warnings
  tf.tidy(() => tf.scalar(0));
  tf.env().set('PROD', prod);
}

/** Hardware WebGPU for auto: any failure to load Dawn or find a GPU just means "not available". */
async function tryHardwareWebGPU(): Promise<BackendInfo | null> {
  try {
    return await initWebGPU({ software: false, hardwareOnly: true });
  } catch (err) {
    if (err instanceof BackendError) return null;
    throw err;
  }
}

/** auto without a GPU: wasm, else cpu with the reason wasm was passed over. */
async function autoWasm(opts: BackendOptions): Promise<BackendInfo> {
  const { info, reason } = await tryWasm({ wasmDir: opts.wasmDir });
  return info ?? { ...(await initCpu()), fallback: `wasm backend unavailable (${reason}); using cpu` };
}

/** Activates a tfjs backend, registers nanometa's custom kernels, and says what was chosen. */
export async function initBackend(name: BackendChoice = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(name)) {
    throw new BackendError(`unknown backend '${String(name)}'`, `use one of: ${BACKEND_CHOICES.join(', ')}`);
  }
  registerKernels();
  let info: BackendInfo | null;
  switch (name) {
    case 'cpu':
      info = await initCpu();
      break;
    case 'wasm':
      info = await initWasm({ wasmDir: opts.wasmDir });
      break;
    case 'webgpu':
      info = await initWebGPU({ software: opts.software ?? softwareFromEnv(), profile: opts.profile });
      break;
    case 'tensorflow':
      info = await initTensorflow();
      break;
    case 'auto':
      info = (await initTensorflow(true)) ?? (await tryHardwareWebGPU()) ?? (await autoWasm(opts));
      break;
  }
  registerKernels(); // again: overrides of a backend's own kernels apply once that backend has loaded them
  await tf.ready();
  return info as BackendInfo;
}
