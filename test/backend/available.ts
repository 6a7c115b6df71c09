// Test helper: the backends kernel tests run on (STYLE 18): cpu always, WebGPU on the Mesa software adapter
// when Dawn finds it (CI installs Mesa: libegl1 libegl-mesa0 libgl1-mesa-dri, EGL_PLATFORM=surfaceless).
import { setUpBackend } from '../../src/kernels/register.js';
import { requestAdapter } from '../../src/backend/webgpu.js';

export interface TestBackend {
  /** Shown in the describe title. */
  label: string;
  init: () => Promise<unknown>;
  /** Set when this backend cannot run here; tests are then skipped with this reason in their title. */
  skip?: string;
}

async function softwareWebGPUSkipReason(): Promise<string | undefined> {
  try {
    return (await requestAdapter(true)) ? undefined : 'no Mesa OpenGL adapter (install libegl1 libegl-mesa0 libgl1-mesa-dri)';
  } catch (err) {
    return `Dawn failed to load: ${(err as Error).message}`;
  }
}

export async function testBackends(): Promise<TestBackend[]> {
  const skip = await softwareWebGPUSkipReason();
  return [
    { label: 'cpu', init: () => setUpBackend('cpu') },
    { label: skip ? `webgpu (software) SKIPPED: ${skip}` : 'webgpu (software)', init: () => setUpBackend('webgpu', { software: true }), skip },
  ];
}
