// Optional native backend: libtensorflow through @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node.
// Never a dependency: loaded by dynamic import only if the user installed one (README: backends).
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../util/errors.js';
import type { BackendInfo } from './types.js';

const PACKAGES = [
  {
    name: '@tensorflow/tfjs-node-gpu',
    device: 'libtensorflow (CUDA) via @tensorflow/tfjs-node-gpu',
    isSoftware: false,
  },
  { name: '@tensorflow/tfjs-node', device: 'libtensorflow (CPU) via @tensorflow/tfjs-node', isSoftware: true },
];

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ name);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return false;
    throw new BackendError(
      `${name} is installed but failed to load: ${(err as Error).message}`,
      'reinstall it (`npm install ' + name + '@4.22.0`), or use --backend webgpu|cpu',
    );
  }
}

/** Makes 'tensorflow' the active backend; null when neither package is installed (and `optional`). */
export async function initTensorflow(optional = false): Promise<BackendInfo | null> {
  for (const pkg of PACKAGES) {
    if (!(await tryImport(pkg.name))) continue;
    // The package registers 'tensorflow' with the tfjs-core it depends on; a second copy would miss ours.
    if (!tf.findBackendFactory('tensorflow')) {
      throw new BackendError(
        `${pkg.name} loaded but registered no 'tensorflow' backend with this tfjs-core`,
        `install the version matching @tensorflow/tfjs-core ${tf.version_core}: npm install ${pkg.name}@${tf.version_core}`,
      );
    }
    if (!(await tf.setBackend('tensorflow'))) {
      throw new BackendError(`${pkg.name} could not start`, 'check its CUDA/cuDNN requirements, or use --backend cpu');
    }
    return { name: 'tensorflow', device: pkg.device, isSoftware: pkg.isSoftware };
  }
  if (optional) return null;
  throw new BackendError(
    '--backend tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither is installed',
    `with CUDA 11.2 + cuDNN 8.1: npm install @tensorflow/tfjs-node-gpu@${tf.version_core}; CPU only: npm install @tensorflow/tfjs-node@${tf.version_core}; or use --backend webgpu|cpu`,
  );
}
