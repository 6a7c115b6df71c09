// The safetensors format (huggingface/safetensors): u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, __metadata__}, then the raw little-endian tensor bytes.
// Loadable by Python's `safetensors.torch.load_file`. We write F32 and I32 only.
import { readFileSync } from 'node:fs';
import { CheckpointError } from '../util/errors.js';

export interface NamedArray {
  shape: number[];
  data: Float32Array | Int32Array;
}

export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function readSafetensors(path: string): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const bad = (why: string) => new CheckpointError(`${path} is not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw bad('shorter than its 8-byte header length');
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw bad(`header length ${headerLen} exceeds the file size ${buf.length}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch {
    throw bad('its JSON header does not parse');
  }
  const base = 8 + headerLen;
  const tensors = new Map<string, NamedArray>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [start, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (base + end > buf.length) throw bad(`tensor ${name} runs past the end of the file (truncated?)`);
    const bytes = new Uint8Array(buf.subarray(base + start, base + end)); // copy: aligned, owned
    if (dtype === 'F32') tensors.set(name, { shape, data: new Float32Array(bytes.buffer) });
    else if (dtype === 'I32') tensors.set(name, { shape, data: new Int32Array(bytes.buffer) });
    else throw bad(`tensor ${name} has dtype ${dtype}; nanometa reads F32 and I32`);
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}
