/**
 * Named-tensor files for weights, optimizer state and checkpoints: "SDTENS01" magic, uint32 LE header length, JSON
 * header [{name, shape, dtype, offset}], then raw little-endian float32/int32 data. Written atomically. (Node only; the
 * browser-safe weight assignment is models/weights.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';

const MAGIC = 'SDTENS01';
interface Entry { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number }

export async function saveTensors(path: string, tensors: Record<string, tf.Tensor>): Promise<void> {
  const entries: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`saveTensors ${path}: tensor "${name}" has dtype ${t.dtype}; expected float32 or int32`);
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    entries.push({ name, shape: t.shape, dtype: t.dtype, offset });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const header = new TextEncoder().encode(JSON.stringify(entries));
  const out = new Uint8Array(8 + 4 + header.byteLength + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.byteLength, true);
  out.set(header, 12);
  let p = 12 + header.byteLength;
  for (const c of chunks) { out.set(c, p); p += c.byteLength; }
  await writeFileAtomic(path, out);
}

export async function loadTensors(path: string): Promise<Record<string, tf.Tensor>> {
  const buf = new Uint8Array(await readFile(path));
  if (buf.byteLength < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) throw new Error(`loadTensors ${path}: not a stereodepth tensor file (expected magic ${MAGIC})`);
  const headerLen = new DataView(buf.buffer, buf.byteOffset).getUint32(8, true);
  const entries = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + headerLen))) as Entry[];
  const base = 12 + headerLen;
  const out: Record<string, tf.Tensor> = {};
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const start = base + e.offset;
    if (start + 4 * n > buf.byteLength) throw new Error(`loadTensors ${path}: tensor "${e.name}" runs past the end of the file (truncated?)`);
    const copy = buf.slice(start, start + 4 * n).buffer;
    out[e.name] = tf.tensor(e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy), e.shape, e.dtype);
  }
  return out;
}
