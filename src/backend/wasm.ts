// The wasm backend (@tensorflow/tfjs-backend-wasm: XNNPACK matrix products, WebAssembly SIMD, one thread under
// Node: docs/results/wasm.md says why). The .wasm binaries load from the installed package's dist/ folder, never
// over the network; a missing file or package is a BackendError that names it (auto then falls back to cpu).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackendError } from '../util/errors.js';
import { simdModule } from './simd.js';
import type { BackendInfo } from './types.js';

const PACKAGE = '@tensorflow/tfjs-backend-wasm';
/** The binaries tfjs chooses from: SIMD without threads under Node 20 (WASM_HAS_MULTITHREAD_SUPPORT is false there). */
const BINARIES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;
const REINSTALL = `reinstall it (npm install ${PACKAGE}@${tf.version_core}), or use --backend cpu`;

export interface WasmOptions {
  /** Folder holding the .wasm binaries; default the installed package's dist/ (tests point it elsewhere). */
  wasmDir?: string;
  /** nanometa's SIMD kernels; default src/backend/simd.wasm (tests point it elsewhere). */
  simdFile?: string;
}

/** The installed package's dist/ folder, or null when the package is not installed. */
function packageDistDir(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`)), 'dist');
  } catch {
    return null;
  }
}

/** Makes 'wasm' the active backend; a BackendError saying what is missing when it cannot load. */
export async function initWasm(opts: WasmOptions = {}): Promise<BackendInfo> {
  const dir = opts.wasmDir ?? packageDistDir();
  if (dir === null)
    throw new BackendError(
      `--backend wasm needs ${PACKAGE}, which is not installed`,
      `npm install ${PACKAGE}@${tf.version_core}, or use --backend cpu`,
    );
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm'); // registers the 'wasm' backend factory with tfjs-core
  } catch (err) {
    throw new BackendError(`${PACKAGE} failed to load: ${(err as Error).message}`, REINSTALL);
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const file = join(dir, BINARIES[simd ? 1 : 0]);
  if (!existsSync(file)) throw new BackendError(`the wasm backend's binary ${file} is missing`, REINSTALL);
  // local files, never fetched; settable only before the first start
  if (!tf.findBackend('wasm')) wasm.setWasmPaths(Object.fromEntries(BINARIES.map((name) => [name, join(dir, name)])));
  const started = await tf.setBackend('wasm').catch((err: unknown) => {
    throw new BackendError(
      `the wasm backend failed to start from ${file}: ${(err as { message?: string }).message ?? String(err)}`,
      REINSTALL,
    );
  });
  if (!started) throw new BackendError(`the wasm backend failed to start from ${file}`, REINSTALL);
  const ours = simdModule(opts.simdFile) ? ", nanometa's SIMD kernels" : ''; // a BackendError when simd.wasm is missing
  return {
    name: 'wasm',
    device: `tfjs wasm (XNNPACK${simd ? ', SIMD' : ''}${ours}, ${wasm.getThreadsCount()} thread) from ${dir}`,
    isSoftware: true,
  };
}

/** initWasm for auto: null, with the reason, when the wasm backend cannot start here. */
export async function tryWasm(opts: WasmOptions = {}): Promise<{ info: BackendInfo | null; reason?: string }> {
  try {
    return { info: await initWasm(opts) };
  } catch (err) {
    if (err instanceof BackendError) return { info: null, reason: err.message };
    throw err;
  }
}
