// WebGPU backend through Dawn (npm `webgpu`): picks an adapter, builds tfjs's WebGPUBackend on our own device.
// We construct the backend ourselves (tfjs's factory always asks for a core-feature adapter) so that the Mesa
// OpenGL *compatibility* adapter can be used; WebGPUBackend is a public export of tfjs-backend-webgpu.
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../util/errors.js';
import { flag } from '../flags.js';
import type { BackendInfo } from './types.js';
import { hardwareGpuUnavailable } from './probe.js';

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software|microsoft basic render/i;

export interface AdapterChoice {
  adapter: GPUAdapter;
  description: string;
  isSoftware: boolean;
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

let dawn: DawnModule | undefined;
/** The adapter behind the currently registered 'webgpu' backend, so repeated set-ups reuse it. */
let active: { software: boolean; profile: boolean; info: BackendInfo } | undefined;

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (err) {
    throw new BackendError(
      `could not load Dawn (npm package 'webgpu'): ${(err as Error).message}`,
      'reinstall with `npm install`, or run with --backend cpu',
    );
  }
  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode, ... as globals, as in a browser.
  Object.assign(globalThis, dawn.globals);
  return dawn;
}

/** Installs `navigator.gpu` (Node 20 has no navigator); tfjs's WebGPUBackend checks for it. */
function installNavigator(gpu: GPU): void {
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true, writable: true });
}

function describeAdapter(adapter: GPUAdapter, dawnBackend: string): { description: string; isSoftware: boolean } {
  const info = adapter.info;
  const name =
    [info.vendor, info.device || info.architecture]
      .filter((s) => s)
      .join(' ')
      .trim() || 'unknown GPU';
  const isSoftware =
    SOFTWARE_NAMES.test(`${info.device} ${info.description} ${info.architecture}`) ||
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const detail = info.description ? `, ${info.description}` : '';
  return { description: `${name} (${dawnBackend}${detail}${isSoftware ? ', software' : ''})`, isSoftware };
}

/**
 * Asks Dawn for an adapter: the best hardware one, or (software) Mesa's OpenGL compatibility adapter.
 * `profile` turns on Dawn's allow_unsafe_apis so that timestamp-query (per-kernel GPU times in tf.profile) is offered.
 */
export async function requestAdapter(software: boolean, profile = false): Promise<AdapterChoice | null> {
  const { create } = await loadDawn();
  const flags = profile ? ['enable-dawn-features=allow_unsafe_apis'] : [];
  if (software) {
    // Mesa llvmpipe only offers OpenGL; Dawn exposes it as a WebGPU compatibility-mode adapter.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const gpu = create(['backend=opengl', ...flags]);
    const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    if (!adapter) return null;
    installNavigator(gpu);
    return { adapter, ...describeAdapter(adapter, 'Mesa OpenGL') };
  }
  const gpu = create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  installNavigator(gpu);
  return { adapter, ...describeAdapter(adapter, 'Dawn') };
}

async function createDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  // The same limits tfjs's own factory asks for: the adapter's maxima.
  const limits = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
}

export interface WebGPUOptions {
  software: boolean;
  /** Ask for timestamp-query so tf.profile reports per-kernel GPU times (default: the `webgpuProfile` flag). */
  profile?: boolean;
  /** For `auto`: return null instead of using a software adapter or throwing when none is found. */
  hardwareOnly?: boolean;
}

/** Makes 'webgpu' the active tfjs backend; null only with hardwareOnly when no hardware adapter exists. */
export async function initWebGPU(opts: WebGPUOptions): Promise<BackendInfo | null> {
  const profile = opts.profile ?? flag('webgpuProfile');
  if (active && active.software === opts.software && active.profile === profile && tf.findBackend('webgpu')) {
    await tf.setBackend('webgpu');
    return active.info;
  }
  const noGpu = opts.software ? null : hardwareGpuUnavailable(); // asking Dawn anyway would only print its warning
  if (noGpu && !opts.hardwareOnly)
    throw new BackendError(
      `no hardware WebGPU adapter: ${noGpu}`,
      'install the GPU driver and the Vulkan loader (apt-get install libvulkan1), set NANOMETA_WEBGPU_SOFTWARE=1 for the slow Mesa adapter, or use --backend cpu',
    );
  const choice = noGpu ? null : await requestAdapter(opts.software, profile);
  if (!choice || (opts.hardwareOnly && choice.isSoftware)) {
    if (opts.hardwareOnly) return null;
    throw new BackendError(
      opts.software
        ? 'no software WebGPU adapter: Dawn found no Mesa OpenGL (EGL) driver'
        : 'no hardware WebGPU adapter: Dawn found no Vulkan/Metal/D3D12 GPU',
      opts.software
        ? 'install Mesa (`apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri`) and set EGL_PLATFORM=surfaceless, or use --backend cpu'
        : 'check the GPU driver and Vulkan loader (libvulkan1), set NANOMETA_WEBGPU_SOFTWARE=1 for the slow Mesa adapter, or use --backend cpu',
    );
  }
  const device = await createDevice(choice.adapter);
  // Imported only now: the package registers its own 'webgpu' factory when navigator.gpu exists; ours replaces it.
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  // In Node tfjs's synchronous GPU read needs OffscreenCanvas and dies with a ReferenceError; say what to do instead.
  class NodeWebGPUBackend extends WebGPUBackend {
    override readSync(dataId: object): tf.backend_util.BackendValues {
      const data = this.tensorMap.get(dataId) as { values?: unknown; dtype: string };
      if (data.values != null || data.dtype === 'string') return super.readSync(dataId);
      throw new BackendError(
        'a synchronous read (dataSync, arraySync, bufferSync) of a GPU tensor is impossible with WebGPU in Node',
        'read with `await tensor.data()` or `await tensor.array()` instead',
      );
    }
  }
  const backend = new NodeWebGPUBackend(device, choice.adapter.info);
  tf.registerBackend('webgpu', () => backend, 0);
  const ok = await tf.setBackend('webgpu');
  if (!ok)
    throw new BackendError(`tfjs could not start the WebGPU backend on ${choice.description}`, 'use --backend cpu');
  const info: BackendInfo = { name: 'webgpu', device: choice.description, isSoftware: choice.isSoftware };
  active = { software: opts.software, profile, info };
  return info;
}

/** True when the `webgpuSoftware` flag (NANOMETA_WEBGPU_SOFTWARE) asks for the software adapter. */
export function softwareFromEnv(): boolean {
  return flag('webgpuSoftware');
}
