/**
 * Named-tensor files for weights, optimizer state and checkpoints: "SDTENS01" magic, uint32 LE header length, JSON
 * header [{name, shape, dtype, offset, sha256}], then raw little-endian float32/int32 data. Written atomically.
 * `sha256` (first 16 hex digits of the tensor's bytes) is verified on load, so a flipped or overwritten block is an
 * error naming the tensor instead of silently loaded NaN weights; files written before it existed load unchecked.
 * (Node only; the browser-safe weight assignment is models/weights.ts.)
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';

const MAGIC = 'SDTENS01';
interface Entry { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number; sha256?: string }

/** A tensor file that cannot be trusted: `tensor` names the damaged tensor when the header was readable. */
export class TensorFileError extends Error {
  constructor(readonly path: string, message: string, readonly tensor?: string) {
    super(message);
    this.name = 'TensorFileError';
  }
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export async function saveTensors(path: string, tensors: Record<string, tf.Tensor>): Promise<void> {
  const entries: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`saveTensors ${path}: tensor "${name}" has dtype ${t.dtype}; expected float32 or int32`);
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    entries.push({ name, shape: t.shape, dtype: t.dtype, offset, sha256: digest(bytes) });
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

function parseHeader(buf: Uint8Array, path: string): { entries: Entry[]; base: number } {
  if (buf.byteLength < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) {
    throw new TensorFileError(path, `${path}: not a stereodepth tensor file (expected magic ${MAGIC} in the first 8 bytes${buf.byteLength < 12 ? `; the file has only ${buf.byteLength} bytes` : ''})`);
  }
  const headerLen = new DataView(buf.buffer, buf.byteOffset).getUint32(8, true);
  if (12 + headerLen > buf.byteLength) {
    throw new TensorFileError(path, `${path}: truncated in its header (the header needs ${headerLen} bytes after byte 12, the file has ${buf.byteLength} bytes in all)`);
  }
  let entries: Entry[];
  try {
    entries = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + headerLen))) as Entry[];
  } catch (err) {
    throw new TensorFileError(path, `${path}: corrupt header (bytes 12..${12 + headerLen} are not the JSON tensor list: ${(err as Error).message})`);
  }
  if (!Array.isArray(entries)) throw new TensorFileError(path, `${path}: corrupt header (expected a JSON list of tensors)`);
  return { entries, base: 12 + headerLen };
}

/** Checks every tensor of a file against its checksum without building tensors; throws {@link TensorFileError}. */
export async function verifyTensorFile(path: string): Promise<void> {
  checkedViews(new Uint8Array(await readFile(path)), path);
}

/** Reads a tensor file, verifying every tensor's checksum; damage is a {@link TensorFileError} naming file and tensor. */
export async function loadTensors(path: string): Promise<Record<string, tf.Tensor>> {
  const views = checkedViews(new Uint8Array(await readFile(path)), path);
  const out: Record<string, tf.Tensor> = {};
  for (const [e, bytes] of views) {
    const copy = bytes.slice().buffer;
    out[e.name] = tf.tensor(e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy), e.shape, e.dtype);
  }
  return out;
}

function checkedViews(buf: Uint8Array, path: string): [Entry, Uint8Array][] {
  const { entries, base } = parseHeader(buf, path);
  const views: [Entry, Uint8Array][] = [];
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const start = base + e.offset;
    if (start + 4 * n > buf.byteLength) throw new TensorFileError(path, `${path}: tensor "${e.name}" runs past the end of the file (truncated: ${buf.byteLength} bytes, needs ${start + 4 * n})`, e.name);
    const bytes = buf.subarray(start, start + 4 * n);
    if (e.sha256 !== undefined && digest(bytes) !== e.sha256) {
      throw new TensorFileError(path, `${path}: tensor "${e.name}" fails its checksum (the file is damaged: bytes ${start}..${start + 4 * n} changed since it was written)`, e.name);
    }
    views.push([e, bytes]);
  }
  return views;
}
