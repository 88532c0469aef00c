/**
 * A small TensorBoard event-file writer with no dependency: TFRecord framing with masked CRC32C, and a hand-written
 * protobuf encoder for the few messages TensorBoard needs (tensorflow Event / Summary, field numbers from
 * tensorboard/compat/proto/{event,summary,tensor}.proto).
 *
 * One SummaryWriter = one file `events.out.tfevents.<unix seconds>.<hostname>` in its log directory. A resumed run
 * opens a NEW file in the same directory; TensorBoard reads every event file of a directory as one run, in file
 * name order (the timestamp keeps them chronological). Steps the old run logged after its last checkpoint are
 * logged again by the resumed run; when a tag's step goes backwards TensorBoard's event accumulator drops the
 * orphaned later points of that tag (purge_orphaned_data), other loaders may show both.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import type * as tf from '@tensorflow/tfjs-core';

import { encodeRgb } from '../io/image.js';
import { tensorToRgbImage } from '../io/image.js';

// ---------------------------------------------------------------- CRC32C and TFRecord framing

/** CRC32C (Castagnoli), reflected polynomial 0x82F63B78: one table entry per byte value. */
const CRC32C_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C of `bytes` (crc32c("123456789") = 0xE3069283). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so a CRC stored next to its data is not a CRC of it. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 LE length, uint32 LE masked CRC of those 8 bytes, the data, uint32 LE masked CRC of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---------------------------------------------------------------- protobuf encoding

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Base-128 varint of an unsigned 64-bit value (negative int64 values are encoded as their two's complement). */
function varint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

function fieldKey(field: number, wire: number): Uint8Array {
  return varint((field << 3) | wire);
}

function varintField(field: number, value: number | bigint): Uint8Array {
  return concatBytes([fieldKey(field, WIRE_VARINT), varint(value)]);
}

function doubleField(field: number, value: number): Uint8Array {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setFloat64(0, value, true);
  return concatBytes([fieldKey(field, WIRE_FIXED64), body]);
}

function floatField(field: number, value: number): Uint8Array {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setFloat32(0, value, true);
  return concatBytes([fieldKey(field, WIRE_FIXED32), body]);
}

/** A length-delimited field: bytes, string or embedded message. */
function bytesField(field: number, body: Uint8Array | string): Uint8Array {
  const bytes = typeof body === 'string' ? utf8.encode(body) : body;
  return concatBytes([fieldKey(field, WIRE_LENGTH_DELIMITED), varint(bytes.length), bytes]);
}

/** The content of one Summary.Value besides its tag. */
export type SummaryContent =
  | { kind: 'scalar'; value: number }
  | { kind: 'image'; png: Uint8Array; width: number; height: number }
  | { kind: 'text'; text: string };

/** Summary.Image.colorspace for RGB. */
const COLORSPACE_RGB = 3;
/** tensorflow DataType DT_STRING. */
const DT_STRING = 7;

/** Encodes a Summary.Value: tag=1, simple_value=2 (float), image=4, tensor=8, metadata=9. */
export function encodeSummaryValue(tag: string, content: SummaryContent): Uint8Array {
  const parts = [bytesField(1, tag)];
  if (content.kind === 'scalar') {
    // always written (also 0): simple_value sits in a oneof, so its presence is what marks the value as a scalar
    parts.push(floatField(2, content.value));
  } else if (content.kind === 'image') {
    const image = concatBytes([
      varintField(1, content.height),
      varintField(2, content.width),
      varintField(3, COLORSPACE_RGB),
      bytesField(4, content.png),
    ]);
    parts.push(bytesField(4, image));
  } else {
    // a scalar DT_STRING tensor (empty TensorShapeProto) tagged for the text plugin (SummaryMetadata.plugin_data)
    const tensor = concatBytes([varintField(1, DT_STRING), bytesField(2, new Uint8Array(0)), bytesField(8, content.text)]);
    const metadata = bytesField(1, bytesField(1, 'text'));
    parts.push(bytesField(8, tensor), bytesField(9, metadata));
  }
  return concatBytes(parts);
}

/** What one Event carries besides its time and step. */
export type EventPayload = { fileVersion: string } | { summaryValues: Uint8Array[] };

/** Encodes an Event: wall_time=1 (double, seconds), step=2 (int64), file_version=3 or summary=5 (Summary{value=1}). */
export function encodeEvent(wallTime: number, step: number, payload: EventPayload): Uint8Array {
  const what =
    'fileVersion' in payload
      ? bytesField(3, payload.fileVersion)
      : bytesField(5, concatBytes(payload.summaryValues.map((v) => bytesField(1, v))));
  return concatBytes([doubleField(1, wallTime), varintField(2, step), what]);
}

// ---------------------------------------------------------------- writer

/** The version string TensorBoard expects in the first event of a file. */
export const EVENT_FILE_VERSION = 'brain.Event:2';

export interface SummaryWriterOptions {
  /** Buffered bytes that trigger a write to the file (not an fsync). Default 1 MiB. */
  maxBufferBytes?: number;
  /** Seconds after which the next logged event also writes the buffer out, so TensorBoard sees it. Default 10. */
  maxDelaySeconds?: number;
}

function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'EEXIST';
}

/**
 * Opens a new event file exclusively. Two writers started in the same second in one directory (a quick resume, a
 * test) get a `.<pid>.<n>` suffix instead of sharing a file; the suffix sorts after the plain name.
 */
function createEventFile(logDir: string, seconds: number): { path: string; fd: number } {
  const base = join(logDir, `events.out.tfevents.${seconds}.${hostname()}`);
  for (let n = 0; ; n++) {
    const path = n === 0 ? base : `${base}.${process.pid}.${n}`;
    try {
      return { path, fd: openSync(path, 'wx') };
    } catch (err) {
      if (!isAlreadyExists(err) || n >= 1000) throw new Error(`SummaryWriter: cannot create event file ${path}: ${(err as Error).message}`);
    }
  }
}

/** Makes the new file's directory entry durable (a crash must not lose the file itself); best effort off Linux. */
function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some platforms cannot fsync a directory; the file contents are still fsynced by flush()
  }
}

/**
 * Writes scalars, images and text to a TensorBoard event file. Events are buffered and appended; flush() writes
 * everything logged so far and fsyncs it. Resuming a run means constructing a new writer on the same directory:
 * a new file is created and TensorBoard merges the files of the directory into one run. flush() and close() are
 * synchronous, so an exit handler (Ctrl-C) can call them.
 */
export class SummaryWriter {
  /** Path of the event file this writer appends to. */
  readonly path: string;
  private fd: number | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private lastWriteMs = Date.now();
  private readonly maxBufferBytes: number;
  private readonly maxDelayMs: number;

  constructor(readonly logDir: string, opts: SummaryWriterOptions = {}) {
    this.maxBufferBytes = opts.maxBufferBytes ?? 1 << 20;
    this.maxDelayMs = (opts.maxDelaySeconds ?? 10) * 1000;
    mkdirSync(logDir, { recursive: true });
    const { path, fd } = createEventFile(logDir, Math.floor(Date.now() / 1000));
    this.path = path;
    this.fd = fd;
    fsyncDirectory(logDir);
    this.append(encodeEvent(Date.now() / 1000, 0, { fileVersion: EVENT_FILE_VERSION }));
    this.flush();
  }

  /** Logs one scalar (stored as float32, as TensorBoard does). */
  scalar(tag: string, value: number, step: number): void {
    this.summary(step, [encodeSummaryValue(tag, { kind: 'scalar', value })]);
  }

  /** Logs several scalars at one step in one event; tags become `${prefix}/${key}` when a prefix is given. */
  scalars(record: Record<string, number>, step: number, prefix?: string): void {
    const values = Object.entries(record).map(([key, value]) => encodeSummaryValue(prefix ? `${prefix}/${key}` : key, { kind: 'scalar', value }));
    if (values.length > 0) this.summary(step, values);
  }

  /** Logs an already-encoded PNG (RGB) of the given size. */
  image(tag: string, png: Uint8Array, width: number, height: number, step: number): void {
    this.summary(step, [encodeSummaryValue(tag, { kind: 'image', png, width, height })]);
  }

  /**
   * Logs an image tensor [H,W,1|3] in [0,1] as an RGB PNG. The tensor is read before the first await, so the caller
   * may dispose it right after calling; await the result before close().
   */
  async imageFromTensor(tag: string, x: tf.Tensor3D, step: number): Promise<void> {
    const rgb = tensorToRgbImage(x);
    const png = await encodeRgb(rgb, 'png');
    this.image(tag, new Uint8Array(png.buffer, png.byteOffset, png.byteLength), rgb.width, rgb.height, step);
  }

  /** Logs a text (markdown) summary for TensorBoard's text plugin, e.g. the resolved config of a run. */
  text(tag: string, text: string, step: number): void {
    this.summary(step, [encodeSummaryValue(tag, { kind: 'text', text })]);
  }

  /** Writes everything logged so far to the file and fsyncs it: after flush() returns, a crash loses nothing. */
  flush(): void {
    const fd = this.openFd();
    this.writePending(fd);
    try {
      fsyncSync(fd);
    } catch (err) {
      throw new Error(`SummaryWriter: fsync of ${this.path} failed: ${(err as Error).message}`);
    }
  }

  /** Flushes and closes the file; later logging throws. Closing twice is a no-op. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private summary(step: number, values: Uint8Array[]): void {
    if (!Number.isSafeInteger(step)) throw new Error(`SummaryWriter (${this.path}): step must be an integer, got ${step}`);
    this.append(encodeEvent(Date.now() / 1000, step, { summaryValues: values }));
  }

  private append(event: Uint8Array): void {
    const fd = this.openFd();
    const record = frameRecord(event);
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (this.pendingBytes >= this.maxBufferBytes || Date.now() - this.lastWriteMs >= this.maxDelayMs) this.writePending(fd);
  }

  private writePending(fd: number): void {
    for (const record of this.pending) {
      let offset = 0;
      while (offset < record.length) offset += writeSync(fd, record, offset, record.length - offset);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.lastWriteMs = Date.now();
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`SummaryWriter: ${this.path} is closed`);
    return this.fd;
  }
}
