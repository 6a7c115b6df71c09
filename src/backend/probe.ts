// Whether probing for a hardware GPU can succeed at all, checked without asking Dawn: on Linux Dawn reaches GPUs
// through the Vulkan loader (libvulkan.so.1), and without one it prints a native "Couldn't load Vulkan" warning
// that no JavaScript can silence. The loader is looked for where the dynamic linker looks (ld.so(8)).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VULKAN_LOADER = 'libvulkan.so.1';

/** Folders the dynamic linker searches: LD_LIBRARY_PATH, /etc/ld.so.conf(.d), then the default system folders. */
function librarySearchPath(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const confs = ['/etc/ld.so.conf'];
  try {
    confs.push(
      ...readdirSync('/etc/ld.so.conf.d')
        .filter((f) => f.endsWith('.conf'))
        .map((f) => join('/etc/ld.so.conf.d', f)),
    );
  } catch {
    // no ld.so.conf.d: the defaults below still apply
  }
  for (const conf of confs) {
    try {
      dirs.push(
        ...readFileSync(conf, 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l.startsWith('/')),
      );
    } catch {
      // unreadable or absent
    }
  }
  const arch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [...dirs, `/lib/${arch}`, `/usr/lib/${arch}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];
}

/** Why a hardware GPU cannot be found here (a sentence for the backend line), or null when probing is worth it. */
export function hardwareGpuUnavailable(): string | null {
  if (process.platform !== 'linux') return null; // Metal (macOS) and D3D12 (Windows) need no separate loader
  if (librarySearchPath().some((dir) => existsSync(join(dir, VULKAN_LOADER)))) return null;
  return `no Vulkan loader (${VULKAN_LOADER}), so no GPU driver is reachable`;
}
