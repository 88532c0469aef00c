import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { crc32c, encodeEvent, frameRecord, maskedCrc32c, SummaryWriter } from '../../src/train/tensorboard.js';
import { colourMapDisparity, MAGMA_LUT } from '../../src/util/colormap.js';
import { encodePng } from '../../src/io/image.js';
import { crc32cBitwise, readEventFile, readTfRecords } from '../helpers/tfevents.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

let dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stereodepth-tb-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function eventFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).sort().map((f) => join(dir, f));
}

beforeAll(async () => {
  await initBackend('cpu'); // nothing here depends on the backend; cpu starts fastest
});

describe('CRC32C and TFRecord framing', () => {
  it('matches the known check value and the independent bitwise CRC', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32cBitwise(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
    // the mask rotates right by 15 then adds 0xa282ead8 modulo 2^32
    const c = 0xe3069283;
    expect(maskedCrc32c(ascii('123456789'))).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
  });

  it('frames a record the reader accepts and detects a corrupted length or data byte', () => {
    const payload = ascii('hello tensorboard');
    const record = frameRecord(payload);
    expect(record.length).toBe(8 + 4 + payload.length + 4);
    expect(new DataView(record.buffer).getBigUint64(0, true)).toBe(BigInt(payload.length));
    expect(readTfRecords(record)).toEqual([payload]);

    const badData = record.slice();
    badData[12 + 3] ^= 0x01;
    expect(() => readTfRecords(badData, 'x')).toThrow(/data CRC mismatch at byte 0/);
    const badLength = record.slice();
    badLength[0] ^= 0x01;
    expect(() => readTfRecords(badLength, 'x')).toThrow(/length CRC mismatch at byte 0/);
    const badCrc = record.slice();
    badCrc[record.length - 1] ^= 0x80;
    expect(() => readTfRecords(badCrc, 'x')).toThrow(/data CRC mismatch/);
    expect(() => readTfRecords(record.subarray(0, record.length - 2), 'x')).toThrow(/truncated/);
  });

  it('encodes negative and large int64 steps as two\'s-complement varints', async () => {
    const { decodeEvent } = await import('../helpers/tfevents.js');
    expect(decodeEvent(encodeEvent(1.5, -3, { fileVersion: 'v' })).step).toBe(-3);
    expect(decodeEvent(encodeEvent(1.5, 2 ** 40 + 1, { fileVersion: 'v' })).step).toBe(2 ** 40 + 1);
  });
});

describe('SummaryWriter', () => {
  it('round-trips scalars, images and text through an independent reader', async () => {
    const dir = join(tempDir(), 'nested', 'run'); // created if missing
    const before = Date.now() / 1000;
    const writer = new SummaryWriter(dir);
    writer.scalar('loss', 0.1, 0);
    writer.scalar('loss', 0, 1);
    writer.scalars({ abs_rel: 0.123456789, a1: 0.9 }, 7, 'val');
    writer.scalars({ lr: 1e-4 }, 8);
    const grey = tf.tidy(() => tf.div(tf.reshape(tf.range(0, 6 * 10), [6, 10, 1]), 59) as tf.Tensor3D);
    const rgb = tf.fill([4, 5, 3], 0.5) as tf.Tensor3D;
    const imageWrites = [writer.imageFromTensor('img/grey', grey, 3), writer.imageFromTensor('img/rgb', rgb, 4)];
    tf.dispose([grey, rgb]); // the writer read them synchronously
    await Promise.all(imageWrites);
    writer.text('config', '# run\n`lr: 1e-4`', 0);
    writer.close();
    const after = Date.now() / 1000;

    const files = eventFiles(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/events\.out\.tfevents\.\d{10}\.[^/]+$/);
    const events = readEventFile(files[0]!);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events[0]!.values).toEqual([]);
    for (const e of events) {
      expect(e.wallTime).toBeGreaterThanOrEqual(before - 1);
      expect(e.wallTime).toBeLessThanOrEqual(after + 1);
    }
    const values = events.slice(1).flatMap((e) => e.values.map((v) => ({ step: e.step, ...v })));
    const scalars = values.filter((v) => v.simpleValue !== undefined).map((v) => [v.tag, v.step, v.simpleValue]);
    expect(scalars).toEqual([
      ['loss', 0, Math.fround(0.1)],
      ['loss', 1, 0],
      ['val/abs_rel', 7, Math.fround(0.123456789)],
      ['val/a1', 7, Math.fround(0.9)],
      ['lr', 8, Math.fround(1e-4)],
    ]);
    expect(events.find((e) => e.values.some((v) => v.tag === 'val/abs_rel'))!.values).toHaveLength(2); // one event per scalars() call

    // PNG encodes finish in any order; each image event is appended when its encode completes
    const images = values.filter((v) => v.image).sort((a, b) => a.tag.localeCompare(b.tag));
    expect(images.map((v) => [v.tag, v.step, v.image!.width, v.image!.height, v.image!.colorspace])).toEqual([
      ['img/grey', 3, 10, 6, 3],
      ['img/rgb', 4, 5, 4, 3],
    ]);
    for (const v of images) {
      expect(Array.from(v.image!.png.subarray(0, 8))).toEqual(PNG_MAGIC);
      const { data, info } = await sharp(v.image!.png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([v.image!.width, v.image!.height, 3]);
      if (v.tag === 'img/grey') {
        expect([data[0], data[1], data[2]]).toEqual([0, 0, 0]);
        expect([data.at(-3), data.at(-2), data.at(-1)]).toEqual([255, 255, 255]);
      } else {
        expect(data[0]).toBe(128); // round(0.5 * 255)
      }
    }

    const text = values.find((v) => v.tag === 'config')!;
    expect(text.pluginName).toBe('text');
    expect(text.strings).toEqual(['# run\n`lr: 1e-4`']);
    expect(text.simpleValue).toBeUndefined();
  });

  it('makes everything logged so far readable after flush(), while the writer stays open', () => {
    const dir = tempDir();
    const writer = new SummaryWriter(dir, { maxDelaySeconds: 3600 });
    for (let step = 0; step < 50; step++) writer.scalar('loss', 1 / (step + 1), step);
    // buffered, not yet written: the file holds only the file_version event
    expect(readEventFile(writer.path)).toHaveLength(1);
    writer.flush();
    const events = readEventFile(writer.path);
    expect(events).toHaveLength(51);
    expect(events.at(-1)!.values[0]!.simpleValue).toBe(Math.fround(1 / 50));
    writer.scalar('loss', 7, 50);
    writer.flush();
    expect(readEventFile(writer.path)).toHaveLength(52);
    writer.close();
    writer.close(); // idempotent
    expect(() => writer.scalar('loss', 1, 51)).toThrow(/closed/);
  });

  it('writes the buffer out once it exceeds maxBufferBytes', () => {
    const dir = tempDir();
    const writer = new SummaryWriter(dir, { maxBufferBytes: 300, maxDelaySeconds: 3600 });
    for (let step = 0; step < 20; step++) writer.scalar('loss', step, step);
    const seen = readEventFile(writer.path).length;
    expect(seen).toBeGreaterThan(1);
    expect(seen).toBeLessThan(21);
    writer.close();
    expect(readEventFile(writer.path)).toHaveLength(21);
  });

  it('gives a resumed run its own new file in the same directory; both stay readable', () => {
    const dir = tempDir();
    const first = new SummaryWriter(dir);
    first.scalar('loss', 1, 10);
    first.close();
    const second = new SummaryWriter(dir); // usually the same second: must not reuse or clobber the first file
    second.scalar('loss', 2, 11);
    second.close();
    const files = eventFiles(dir);
    expect(files).toHaveLength(2);
    expect(new Set(files)).toEqual(new Set([first.path, second.path]));
    const steps = files.map((f) => readEventFile(f).slice(1).map((e) => [e.step, e.values[0]!.simpleValue]));
    expect(steps.sort()).toEqual([[[10, 1]], [[11, 2]]]);
  });

  it('the reader rejects a file with one corrupted byte', () => {
    const dir = tempDir();
    const writer = new SummaryWriter(dir);
    writer.scalar('loss', 0.5, 1);
    writer.close();
    const bytes = new Uint8Array(readFileSync(writer.path));
    bytes[bytes.length - 6] ^= 0x10; // inside the last event's payload
    writeFileSync(writer.path, bytes);
    expect(() => readEventFile(writer.path)).toThrow(/data CRC mismatch/);
  });
});

describe('colourMapDisparity', () => {
  const magma = (i: number): number[] => Array.from(MAGMA_LUT.subarray(i * 3, i * 3 + 3));

  it('has a magma table from near-black purple to pale yellow with rising brightness', () => {
    expect(MAGMA_LUT.length).toBe(256 * 3);
    expect(magma(0)).toEqual([0.0015, 0.0005, 0.0139].map(Math.fround));
    expect(magma(128)[0]).toBeCloseTo(0.7164, 4); // a control point is reproduced exactly
    expect(magma(255)).toEqual([0.9871, 0.9914, 0.7495].map(Math.fround));
    const luma = (i: number): number => 0.299 * magma(i)[0]! + 0.587 * magma(i)[1]! + 0.114 * magma(i)[2]!;
    for (let i = 1; i < 256; i++) expect(luma(i)).toBeGreaterThan(luma(i - 1));
  });

  it('normalises by the min and the 95th percentile (values above saturate) and is leak-free', () => {
    const n = 101;
    const disp = tf.tensor2d(Float32Array.from({ length: n }, (_, i) => i), [1, n]); // percentile 95 of 0..100 = 95
    const before = tf.memory().numTensors;
    const coloured = colourMapDisparity(disp);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(coloured.shape).toEqual([1, n, 3]);
    const c = coloured.dataSync();
    const at = (x: number): number[] => Array.from(c.subarray(x * 3, x * 3 + 3));
    expect(at(0)).toEqual(magma(0));
    expect(at(95)).toEqual(magma(255));
    expect(at(100)).toEqual(magma(255));
    expect(at(47)).toEqual(magma(Math.floor((47 / 95) * 256)));
    // an explicit vmax and a [H,W,1] input
    const disp3 = tf.reshape(disp, [1, n, 1]) as tf.Tensor3D;
    const half = colourMapDisparity(disp3, { vmax: 200 });
    expect(Array.from(half.dataSync().subarray(100 * 3, 100 * 3 + 3))).toEqual(magma(128));
    const p50 = colourMapDisparity(disp, { percentile: 50 });
    expect(Array.from(p50.dataSync().subarray(50 * 3, 50 * 3 + 3))).toEqual(magma(255));
    const rgb = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    expect(() => colourMapDisparity(rgb)).toThrow(/\[H,W,1\]/);
    tf.dispose([disp, disp3, coloured, half, p50, rgb]);
  });

  it('maps a constant map to the lowest colour and encodes to a PNG of the same size', async () => {
    const flat = tf.fill([3, 7], 2) as tf.Tensor2D;
    const coloured = colourMapDisparity(flat);
    expect(Array.from(coloured.dataSync().subarray(0, 3))).toEqual(magma(0));
    const png = await encodePng(coloured);
    expect(Array.from(png.subarray(0, 8))).toEqual(PNG_MAGIC);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([7, 3, 3]);
    tf.dispose([flat, coloured]);
  });
});
