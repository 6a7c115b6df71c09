// Backend selection for --backend auto|cpu|wasm|webgpu|tensorflow. auto: tensorflow (if installed), then a hardware
// WebGPU adapter, then wasm, then cpu. Prints nothing; returns BackendInfo. Imports no kernels: kernels/register.ts's
// setUpBackend calls initBackend and then registers nanometa's kernels for the backend chosen.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu'; // registers the 'cpu' backend and its kernels with tfjs-core
import './tfjs-gradients.js';
import { cpus } from 'node:os';
import { BackendError } from '../util/errors.js';
import { initTensorflow } from './tensorflow.js';
import type { BackendChoice, BackendInfo, BackendOptions } from './types.js';
import { initWasm, tryWasm } from './wasm.js';
import { initWebGPU, softwareFromEnv } from './webgpu.js';
import { hardwareGpuUnavailable } from './probe.js';

export type { BackendChoice, BackendInfo, BackendName, BackendOptions } from './types.js';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'wasm', 'webgpu', 'tensorflow'];

async function initCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu')))
    throw new BackendError('tfjs could not start the cpu backend', 'reinstall with `npm install`');
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
async function autoWasm(opts: BackendOptions, reason: string): Promise<BackendInfo> {
  const wasm = await tryWasm({ wasmDir: opts.wasmDir, simdFile: opts.simdFile });
  if (wasm.info) return { ...wasm.info, reason };
  return { ...(await initCpu()), reason, fallback: `wasm backend unavailable (${wasm.reason}); using cpu` };
}

/** Activates a tfjs backend and says what was chosen; kernels/register.ts's setUpBackend adds nanometa's kernels. */
export async function initBackend(name: BackendChoice = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(name)) {
    throw new BackendError(`unknown backend '${String(name)}'`, `use one of: ${BACKEND_CHOICES.join(', ')}`);
  }
  let info: BackendInfo | null;
  switch (name) {
    case 'cpu':
      info = await initCpu();
      break;
    case 'wasm':
      info = await initWasm({ wasmDir: opts.wasmDir, simdFile: opts.simdFile });
      break;
    case 'webgpu':
      info = await initWebGPU({ software: opts.software ?? softwareFromEnv(), profile: opts.profile });
      break;
    case 'tensorflow':
      info = await initTensorflow();
      break;
    case 'auto': {
      // Probe hook (backend/probe.ts): without a Vulkan loader Dawn can find no GPU and only prints a warning.
      const noGpu = hardwareGpuUnavailable();
      info = (await initTensorflow(true)) ?? (noGpu ? null : await tryHardwareWebGPU());
      info ??= await autoWasm(
        opts,
        `no GPU: ${noGpu ?? 'Dawn found no hardware WebGPU adapter'}; --backend webgpu explains more`,
      );
      break;
    }
  }
  await tf.ready();
  return info as BackendInfo;
}
