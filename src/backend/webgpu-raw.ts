// Hand-written WGSL compute passes inside tfjs's WebGPU command stream, for kernels that must write several
// existing tensors in place (the fused optimizer step writes w, m, v and h in one pass). tfjs's programs
// have exactly one, freshly allocated output and bind every input read-only, so such a kernel cannot be a
// tfjs program. This is the one file that touches WebGPUBackend internals (STYLE 14): tensorMap, the
// command encoder and compute pass, the deferred-submit counter and the profiler's timers, as in
// tfjs-backend-webgpu 4.22's recordAndSubmit. The dispatch is queued in order with tfjs's own programs.
import * as tf from '@tensorflow/tfjs-core';

/** The parts of WebGPUBackend 4.22 this file uses beyond its public API. */
interface BackendInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown; refCount: number } | undefined };
  uploadToGPU(dataId: object): void;
  makeUniforms(data: ReturnType<typeof uniformData>): { offset: number; size: number; buffer: GPUBuffer };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
  commandEncoder: GPUCommandEncoder;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
}

/** A uniform of a shader: its WGSL name and type and this dispatch's value. */
export interface ShaderUniform {
  name: string;
  type: 'f32' | 'i32';
  value: number;
}

/** WGSL struct fields of `uniforms`, in order (`name : type,` each); also a tfjs program's `uniforms` string. */
export const uniformFields = (uniforms: ShaderUniform[]): string =>
  uniforms.map((u) => `${u.name} : ${u.type},`).join(' ');

/** The values in tfjs's uniform-data format, same order as uniformFields (tfjs packs them into one buffer). */
export const uniformData = (uniforms: ShaderUniform[]): Array<{ type: 'float32' | 'int32'; data: number[] }> =>
  uniforms.map((u) => ({ type: u.type === 'f32' ? 'float32' : 'int32', data: [u.value] }));

/** A tensor bound to a raw pass under a WGSL name; `write` binds it read_write (written in place). */
export interface RawBinding {
  name: string;
  tensor: tf.TensorInfo;
  write?: boolean;
}

/**
 * A pass to run. runRawPass writes the declarations itself: `uniforms` (binding 0), one `array<f32>` per
 * binding (1..), `localIndex` (for program-base's workgroupReductions), and `fn main`, in which `li` is the
 * thread's local index and `wgi` the flat workgroup index (dispatches past the per-dimension limit are folded
 * into y and unfolded there). `main` is the body of main; `helpers` go before it at module scope.
 */
export interface RawPass {
  /** Cache key of the compiled pipeline: the same key must mean the same bindings, uniforms and code. */
  key: string;
  /** Name shown by tf.profile. */
  name: string;
  bindings: RawBinding[];
  uniforms: ShaderUniform[];
  workgroupSize: number;
  workgroups: number;
  helpers?: () => string;
  main: () => string;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function shaderOf(pass: RawPass): string {
  const bindings = pass.bindings.map(
    (b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.name} : array<f32>;`,
  );
  return `
struct Uniforms { ${uniformFields(pass.uniforms)} };
@group(0) @binding(0) var<uniform> uniforms : Uniforms;
${bindings.join('\n')}
var<private> localIndex : u32;
${pass.helpers?.() ?? ''}
@compute @workgroup_size(${pass.workgroupSize})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>, @builtin(local_invocation_index) li : u32) {
  localIndex = li;
  let wgi = i32(wid.y * nwg.x + wid.x);
  ${pass.main()}
}
`;
}

function pipelineFor(device: GPUDevice, pass: RawPass): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(pass.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: shaderOf(pass) });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    cache.set(pass.key, pipeline);
  }
  return pipeline;
}

/** True when `t` shares its storage with no other tensor, so writing it in place changes nothing else. */
export function isExclusive(t: tf.TensorInfo): boolean {
  const backend = tf.backend() as unknown as BackendInternals;
  return (backend.tensorMap.get(t.dataId)?.refCount ?? 0) === 1;
}

/** Queues one dispatch of `pass` on the active WebGPU backend (which must be tfjs's WebGPUBackend). */
export function runRawPass(pass: RawPass): void {
  const backend = tf.backend() as unknown as BackendInternals;
  const device = backend.device;
  const tensors = pass.bindings.map((b) => b.tensor);
  const buffers = tensors.map((t) => {
    backend.uploadToGPU(t.dataId);
    const resource = backend.tensorMap.get(t.dataId)?.resource;
    if (!(resource instanceof GPUBuffer)) throw new Error(`runRawPass(${pass.name}): a tensor is not in a GPU buffer`);
    return resource;
  });
  const pipeline = pipelineFor(device, pass);
  const uniforms = backend.makeUniforms(uniformData(pass.uniforms));
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: uniforms },
      ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
    ],
  });
  // tensors disposed before this command buffer is submitted keep their buffers until it is (as in tfjs)
  for (const t of tensors) backend.commandQueueOwnedIds.add(t.dataId);
  // tfjs keeps a CPU copy of a tensor once it has been read (data()); for a tensor written in place that
  // copy is now stale, and the GPU buffer is the only truth
  for (const b of pass.bindings) if (b.write) backend.tensorMap.get(b.tensor.dataId)!.values = null;
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  const dispatch: [number, number] =
    pass.workgroups <= limit ? [pass.workgroups, 1] : [limit, Math.ceil(pass.workgroups / limit)];
  backend.ensureCommandEncoderReady();
  const timed = backend.activeTimers != null;
  if (timed && backend.supportTimestampQuery) {
    backend.endComputePassEncoder();
    backend.querySet ??= device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
    backend.computePassEncoder = backend.commandEncoder.beginComputePass({
      timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!backend.computePassEncoder) {
    backend.computePassEncoder = backend.commandEncoder.beginComputePass({});
  }
  backend.computePassEncoder!.setPipeline(pipeline);
  backend.computePassEncoder!.setBindGroup(0, bindGroup);
  backend.computePassEncoder!.dispatchWorkgroups(dispatch[0], dispatch[1], 1);
  backend.dispatchCountInPass++;
  if (timed || (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    if (timed) backend.activeTimers!.push({ name: pass.name, query: backend.getQueryTime() });
    else backend.submitQueue();
  }
}

/** A float32 tensor of `shape` whose contents a raw pass writes before anything reads it (no fill pass). */
export function uninitializedTensor(shape: number[]): tf.Tensor {
  const info = (
    tf.backend() as unknown as { makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo }
  ).makeTensorInfo(shape, 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Runs `fn` and counts the compute dispatches it queues on WebGPU (tfjs's programs and raw passes alike), for
 * benchmarks: per-step dispatch counts are what per-step overhead scales with. -1 where there is no WebGPU.
 */
export async function countDispatches<T>(fn: () => Promise<T>): Promise<{ result: T; dispatches: number }> {
  const proto = (globalThis as { GPUComputePassEncoder?: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder
    ?.prototype;
  if (!proto || tf.getBackend() !== 'webgpu') return { result: await fn(), dispatches: -1 };
  const original = proto.dispatchWorkgroups;
  let dispatches = 0;
  proto.dispatchWorkgroups = function (
    this: GPUComputePassEncoder,
    ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>
  ) {
    dispatches++;
    return original.apply(this, args);
  };
  try {
    return { result: await fn(), dispatches };
  } finally {
    proto.dispatchWorkgroups = original;
  }
}
