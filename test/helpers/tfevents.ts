/**
 * An independent TensorBoard event-file reader for tests: its own bitwise CRC32C, its own TFRecord parsing and a
 * generic protobuf decoder (wire types 0, 1, 2, 5). It shares no code with src/train/tensorboard.ts, so a bug in
 * the writer's CRC table or encoder cannot be mirrored here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** CRC32C one bit at a time (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc = (crc ^ byte) >>> 0;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? ((crc >>> 1) ^ 0x82f63b78) >>> 0 : crc >>> 1;
  }
  return (~crc) >>> 0;
}

function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 0x100000000;
}

/** Splits a TFRecord file into its payloads, verifying both masked CRCs of every record. */
export function readTfRecords(bytes: Uint8Array, name = '<buffer>'): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new Error(`${name}: truncated record header at byte ${pos}`);
    const length = Number(view.getBigUint64(pos, true));
    const lengthCrc = view.getUint32(pos + 8, true);
    if (masked(crc32cBitwise(bytes.subarray(pos, pos + 8))) !== lengthCrc) throw new Error(`${name}: length CRC mismatch at byte ${pos}`);
    const start = pos + 12;
    if (start + length + 4 > bytes.length) throw new Error(`${name}: truncated record data at byte ${pos}`);
    const data = bytes.subarray(start, start + length);
    if (masked(crc32cBitwise(data)) !== view.getUint32(start + length, true)) throw new Error(`${name}: data CRC mismatch at byte ${pos}`);
    records.push(data);
    pos = start + length + 4;
  }
  return records;
}

/** One decoded protobuf field: varints as bigint, fixed64/fixed32 as their raw little-endian bytes. */
export type ProtoField =
  | { wire: 0; value: bigint }
  | { wire: 1; bytes: Uint8Array }
  | { wire: 2; bytes: Uint8Array }
  | { wire: 5; bytes: Uint8Array };

/** Decodes one message level into field number -> occurrences, without a schema. */
export function decodeProto(bytes: Uint8Array): Map<number, ProtoField[]> {
  const fields = new Map<number, ProtoField[]>();
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= bytes.length) throw new Error('protobuf: truncated varint');
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      if (shift > 63n) throw new Error('protobuf: varint longer than 10 bytes');
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new Error(`protobuf: field runs past the end (${n} bytes at ${pos} of ${bytes.length})`);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  while (pos < bytes.length) {
    const key = readVarint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    let field: ProtoField;
    if (wire === 0) field = { wire, value: readVarint() };
    else if (wire === 1) field = { wire, bytes: take(8) };
    else if (wire === 2) field = { wire, bytes: take(Number(readVarint())) };
    else if (wire === 5) field = { wire, bytes: take(4) };
    else throw new Error(`protobuf: unsupported wire type ${wire} for field ${number}`);
    const list = fields.get(number) ?? [];
    list.push(field);
    fields.set(number, list);
  }
  return fields;
}

function last(fields: Map<number, ProtoField[]>, number: number): ProtoField | undefined {
  const list = fields.get(number);
  return list?.[list.length - 1];
}

function asBytes(field: ProtoField | undefined): Uint8Array | undefined {
  return field && field.wire === 2 ? field.bytes : undefined;
}

function asString(field: ProtoField | undefined): string | undefined {
  const b = asBytes(field);
  return b ? new TextDecoder().decode(b) : undefined;
}

function asInt(field: ProtoField | undefined): number | undefined {
  return field && field.wire === 0 ? Number(BigInt.asIntN(64, field.value)) : undefined;
}

function littleEndian(field: ProtoField | undefined, wire: 1 | 5): DataView | undefined {
  return field && field.wire === wire ? new DataView(field.bytes.buffer, field.bytes.byteOffset, field.bytes.byteLength) : undefined;
}

export interface DecodedImage {
  height: number;
  width: number;
  colorspace: number;
  png: Uint8Array;
}

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  image?: DecodedImage;
  /** The plugin named in the value's metadata (e.g. 'text'). */
  pluginName?: string;
  /** The string_val entries of a tensor value. */
  strings?: string[];
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** SessionLog.status (1 = START) of a session_log event. */
  sessionStatus?: number;
  values: DecodedValue[];
}

function decodeValue(bytes: Uint8Array): DecodedValue {
  const f = decodeProto(bytes);
  const value: DecodedValue = { tag: asString(last(f, 1)) ?? '' };
  const simple = littleEndian(last(f, 2), 5);
  if (simple) value.simpleValue = simple.getFloat32(0, true);
  const imageBytes = asBytes(last(f, 4));
  if (imageBytes) {
    const im = decodeProto(imageBytes);
    value.image = {
      height: asInt(last(im, 1)) ?? 0,
      width: asInt(last(im, 2)) ?? 0,
      colorspace: asInt(last(im, 3)) ?? 0,
      png: asBytes(last(im, 4)) ?? new Uint8Array(0),
    };
  }
  const tensorBytes = asBytes(last(f, 8));
  if (tensorBytes) value.strings = (decodeProto(tensorBytes).get(8) ?? []).map((s) => asString(s) ?? '');
  const metadataBytes = asBytes(last(f, 9));
  if (metadataBytes) {
    const pluginData = asBytes(last(decodeProto(metadataBytes), 1));
    if (pluginData) value.pluginName = asString(last(decodeProto(pluginData), 1));
  }
  return value;
}

/** Decodes one Event message. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const f = decodeProto(bytes);
  const event: DecodedEvent = {
    wallTime: littleEndian(last(f, 1), 1)?.getFloat64(0, true) ?? 0,
    step: asInt(last(f, 2)) ?? 0,
    values: [],
  };
  const fileVersion = asString(last(f, 3));
  if (fileVersion !== undefined) event.fileVersion = fileVersion;
  const sessionLog = asBytes(last(f, 7));
  if (sessionLog) event.sessionStatus = asInt(last(decodeProto(sessionLog), 1)) ?? 0;
  const summary = asBytes(last(f, 5));
  if (summary) event.values = (decodeProto(summary).get(1) ?? []).map((v) => decodeValue(asBytes(v) ?? new Uint8Array(0)));
  return event;
}

/** Reads and decodes every event of an event file; throws on any CRC or framing error. */
export function readEventFile(path: string): DecodedEvent[] {
  return readTfRecords(new Uint8Array(readFileSync(path)), path).map(decodeEvent);
}

/**
 * The scalar points TensorBoard shows for one log directory, following its event accumulator with
 * purge_orphaned_data on: files in name order; with file_version >= 2 a SessionLog START at step s removes every
 * point seen so far with step >= s. Points per tag in arrival order, so a step shown twice appears twice.
 */
export function tensorBoardScalars(logDir: string): Map<string, [number, number][]> {
  const files = readdirSync(logDir).filter((f) => f.startsWith('events.out.tfevents.')).sort();
  const points = new Map<string, [number, number][]>();
  let fileVersion = 0;
  for (const f of files) {
    for (const e of readEventFile(join(logDir, f))) {
      if (e.fileVersion !== undefined) fileVersion = Number(/brain\.Event:(\d+)/.exec(e.fileVersion)?.[1] ?? 0);
      if (e.sessionStatus === 1 && fileVersion >= 2) {
        for (const [tag, list] of points) points.set(tag, list.filter(([step]) => step < e.step));
      }
      for (const v of e.values) {
        if (v.simpleValue === undefined) continue;
        const list = points.get(v.tag) ?? [];
        list.push([e.step, v.simpleValue]);
        points.set(v.tag, list);
      }
    }
  }
  return points;
}
