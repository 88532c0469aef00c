import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { decodeRgb, readPng16, readRgb, uint16ToFloatMap, writePng16, floatMapToUint16 } from '../../src/io/image.js';
import { encodeNpy, encodeNpz, parseNpy, parseNpz, readNpzKey, PickledArrayError } from '../../src/io/npy.js';
import { encodePfm, parsePfm } from '../../src/io/pfm.js';
import { parseVelodyne } from '../../src/io/velodyne.js';
import { calibKey, parseCalibText, readRawStereoRig, readRawVeloCalib } from '../../src/io/kitti_calib.js';
import { H5Reader } from '../../src/io/h5.js';
import { readFastDepthH5, NyuLabeledMatDataset } from '../../src/data/nyu.js';
import { DatasetError } from '../../src/data/types.js';
import { fixtureData, repoRoot } from '../helpers/fixtures.js';
import { writeTestImage, writeTestPng16 } from '../helpers/synthetic_images.js';

const tmp = mkdtempSync(join(tmpdir(), 'sd-io-'));

describe('16-bit PNG', () => {
  it('round-trips uint16 values exactly (incl. > 255 and 65535)', async () => {
    const data = new Uint16Array([0, 1, 255, 256, 257, 30000, 65535, 12345]);
    const path = join(tmp, 'g.png');
    await writePng16(path, { data, width: 4, height: 2 });
    const back = await readPng16(path);
    expect([...back.data]).toEqual([...data]);
  });
  it('float map <-> uint16/256 keeps 0 invalid and quantises to 1/256', () => {
    const m = { data: new Float32Array([0, 1.5, 100.00390625, -3]), width: 4, height: 1 };
    const back = uint16ToFloatMap(floatMapToUint16(m, 256), 256);
    expect([...back.data]).toEqual([0, 1.5, 100.00390625, 0]);
  });
  it('KITTI 2015 devkit GT decodes exactly: 23.9 % valid, 4.7..115.9 px', async () => {
    const g = await readPng16(join(fixtureData, 'kitti_stereo2015_devkit/disp_gt.png'));
    expect([g.width, g.height]).toEqual([1242, 375]);
    let n = 0, lo = Infinity, hi = 0;
    for (const v of g.data) if (v > 0) { n++; lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(n / g.data.length).toBeCloseTo(0.239, 3);
    expect(lo).toBe(1213); // 4.73828125 px * 256: an 8-bit decode could never give this
    expect(hi / 256).toBeCloseTo(115.93, 2);
  });
  it('NYUv2-style 16-bit depth decodes to metres (mm / 1000, max 10 m)', async () => {
    const p = join(tmp, 'nyu_depth.png');
    await writeTestPng16(p, 160, 120, (i) => (i % 3 === 0 ? 0 : Math.min(10000, 500 + i)));
    const d = uint16ToFloatMap(await readPng16(p), 1000);
    expect([d.width, d.height]).toEqual([160, 120]);
    let hi = 0, zeros = 0;
    for (const v of d.data) { hi = Math.max(hi, v); if (v === 0) zeros++; }
    expect(hi).toBe(10);
    expect(zeros / d.data.length).toBeGreaterThan(0.3);
  });
  it('an 8-bit image is refused as 16-bit GT, naming the file', async () => {
    const p = join(fixtureData, 'kitti_stereo2015_devkit/image.png');
    await expect(readPng16(p)).rejects.toThrow(/expected a 16-bit single-channel PNG.*image\.png/);
  });
});

describe('8-bit images', () => {
  it('reads KITTI PNG and a JPEG as HWC RGB', async () => {
    const k = await readRgb(join(fixtureData, 'kitti_raw/2011_09_26/2011_09_26_drive_0023_sync/image_02/data/0000000000.png'));
    expect([k.width, k.height, k.channels, k.data.length]).toEqual([1242, 375, 3, 1242 * 375 * 3]);
    await writeTestImage(join(tmp, 'nyu.jpg'), 160, 120);
    const n = await readRgb(join(tmp, 'nyu.jpg'));
    expect([n.width, n.height]).toEqual([160, 120]);
  });
  it('a truncated image is a DatasetError naming the file', async () => {
    const b = readFileSync(join(fixtureData, 'kitti_raw/2011_09_26/2011_09_26_drive_0023_sync/image_02/data/0000000000.png'));
    const p = join(tmp, 'trunc.png');
    writeFileSync(p, b.subarray(0, b.length >> 1));
    const err = await readRgb(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(String(err)).toContain('trunc.png');
    expect(String(err)).toMatch(/truncated or corrupt/);
  });
  it('a truncated JPEG is a DatasetError naming the file', async () => {
    await writeTestImage(join(tmp, 'whole.jpg'), 160, 120);
    const b = readFileSync(join(tmp, 'whole.jpg'));
    const p = join(tmp, 'trunc.jpg');
    writeFileSync(p, b.subarray(0, b.length >> 1));
    await expect(readRgb(p)).rejects.toThrow(/cannot decode .*trunc\.jpg/);
  });
  it('a missing image names the path', async () => {
    await expect(readRgb(join(tmp, 'nope.png'))).rejects.toThrow(/missing image: expected a file at .*nope\.png/);
  });
  it('grey images expand to 3 equal channels', async () => {
    const p = join(tmp, 'g16.png');
    await writePng16(p, { data: new Uint16Array([0, 65535]), width: 2, height: 1 });
    const img = await decodeRgb(readFileSync(p));
    expect([...img.data]).toEqual([0, 0, 0, 255, 255, 255]);
  });
});

describe('npy / npz', () => {
  it('npy round-trips shape, dtype and values', () => {
    const a = { data: new Float32Array([1, -2.5, 3, 4, 5, 6]), shape: [2, 3] };
    const back = parseNpy(encodeNpy(a));
    expect(back.shape).toEqual([2, 3]);
    expect(back.data).toBeInstanceOf(Float32Array);
    expect([...back.data]).toEqual([1, -2.5, 3, 4, 5, 6]);
  });
  it('npz: stored and deflated members, wrong key lists the keys', async () => {
    const npz = encodeNpz({ a: { data: new Uint16Array([7, 8]), shape: [2] }, b: { data: new Float64Array([0.5]), shape: [1] } });
    const m = parseNpz(npz);
    expect([...m.get('a')!.data]).toEqual([7, 8]);
    expect([...m.get('b')!.data]).toEqual([0.5]);
    // rebuild member 'a' deflated (method 8) by hand: local header + central directory
    const npy = encodeNpy({ data: new Float32Array([1.25, 2.5]), shape: [2] });
    const comp = deflateRawSync(npy);
    const name = Buffer.from('d.npy');
    const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(comp.length, 18); local.writeUInt32LE(npy.length, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(comp.length, 20); central.writeUInt32LE(npy.length, 24); central.writeUInt16LE(name.length, 28);
    const localPart = Buffer.concat([local, name, comp]);
    const eocd = Buffer.alloc(22); eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(1, 8); eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(46 + name.length, 12); eocd.writeUInt32LE(localPart.length, 16);
    const zip = Buffer.concat([localPart, central, name, eocd]);
    expect([...parseNpz(zip).get('d')!.data]).toEqual([1.25, 2.5]);
    const p = join(tmp, 'x.npz');
    writeFileSync(p, npz);
    await expect(readNpzKey(p, 'depth')).rejects.toThrow(/no key 'depth': keys present are a, b/);
  });
  /** A .npy v1 with a hand-written header, as numpy writes dtypes this project never writes itself. */
  const rawNpy = (descr: string, shape: string, body: Uint8Array): Uint8Array => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const out = new Uint8Array(10 + header.length + body.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
    out.set(new TextEncoder().encode(header), 10);
    out.set(body, 10 + header.length);
    return out;
  };
  it('reads int64 and bool, refuses object arrays with the pickle bytes attached', () => {
    const i8 = parseNpy(rawNpy('<i8', '(3,)', new Uint8Array(new BigInt64Array([-2n, 0n, 70000n]).buffer)));
    expect(i8.data).toBeInstanceOf(Float64Array);
    expect([...i8.data]).toEqual([-2, 0, 70000]);
    expect([...parseNpy(rawNpy('|b1', '(2,)', new Uint8Array([1, 0]))).data]).toEqual([1, 0]);
    const pickle = new Uint8Array([0x80, 0x04, 0x2e]);
    let caught: unknown;
    try { parseNpy(rawNpy('|O', '(2,)', pickle), 'gt.npz:data.npy'); } catch (err) { caught = err; }
    expect(caught).toBeInstanceOf(PickledArrayError);
    expect((caught as Error).message).toMatch(/object \(pickled\).*gt\.npz:data\.npy/);
    expect([...(caught as PickledArrayError).payload]).toEqual([...pickle]);
    expect(() => parseNpy(rawNpy('>f4', '(1,)', new Uint8Array(4)), 'be.npy')).toThrow(/unsupported .npy dtype '>f4'.*be\.npy/);
  });
  it('views instead of copies only when asked and aligned', () => {
    const bytes = encodeNpy({ data: new Float32Array([1, 2, 3]), shape: [3] });
    const view = parseNpy(bytes, 'v', { view: true });
    const copy = parseNpy(bytes, 'c');
    expect(view.data.buffer).toBe(bytes.buffer);
    expect(copy.data.buffer).not.toBe(bytes.buffer);
    // misaligned (odd byteOffset): a copy even when a view is asked for
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const odd = parseNpy(shifted.subarray(1), 'odd', { view: true });
    expect(odd.data.buffer).not.toBe(shifted.buffer);
    expect([...odd.data]).toEqual([1, 2, 3]);
  });
  it('npz deflated like savez_compressed: method 8, smaller, same values', () => {
    const sparse = new Float32Array(10000);
    sparse[17] = 4.5;
    const stored = encodeNpz({ depth: { data: sparse, shape: [100, 100] } });
    const deflated = encodeNpz({ depth: { data: sparse, shape: [100, 100] } }, { compress: true });
    const method = (zip: Uint8Array) => new DataView(zip.buffer, zip.byteOffset).getUint16(8, true);
    expect([method(stored), method(deflated)]).toEqual([0, 8]);
    expect(deflated.length).toBeLessThan(stored.length / 20);
    const back = parseNpz(deflated).get('depth')!;
    expect(back.shape).toEqual([100, 100]);
    expect(back.data[17]).toBe(4.5);
    expect([...back.data].reduce((a, b) => a + b, 0)).toBe(4.5);
  });
  it('npz with a zip64 end-of-central-directory (Python zipfile on large archives)', () => {
    const zip = encodeNpz({ a: { data: new Int32Array([5, 6]), shape: [2] }, b: { data: new Uint8Array([9]), shape: [1] } });
    const eocd = zip.length - 22;
    const v = new DataView(zip.buffer, zip.byteOffset);
    const entries = v.getUint16(eocd + 10, true);
    const cdSize = v.getUint32(eocd + 12, true);
    const cdOffset = v.getUint32(eocd + 16, true);
    // zip64 EOCD record (56 bytes) + locator (20) before a classic EOCD whose count/offset are saturated
    const z64 = new DataView(new ArrayBuffer(56 + 20 + 22));
    z64.setUint32(0, 0x06064b50, true); z64.setBigUint64(4, 44n, true); z64.setUint16(12, 45, true); z64.setUint16(14, 45, true);
    z64.setBigUint64(24, BigInt(entries), true); z64.setBigUint64(32, BigInt(entries), true);
    z64.setBigUint64(40, BigInt(cdSize), true); z64.setBigUint64(48, BigInt(cdOffset), true);
    z64.setUint32(56, 0x07064b50, true); z64.setBigUint64(64, BigInt(eocd), true); z64.setUint32(72, 1, true);
    z64.setUint32(76, 0x06054b50, true); z64.setUint16(84, 0xffff, true); z64.setUint16(86, 0xffff, true);
    z64.setUint32(88, 0xffffffff, true); z64.setUint32(92, 0xffffffff, true);
    const out = new Uint8Array(eocd + z64.byteLength);
    out.set(zip.subarray(0, eocd));
    out.set(new Uint8Array(z64.buffer), eocd);
    const m = parseNpz(out, 'big.npz');
    expect([...m.get('a')!.data]).toEqual([5, 6]);
    expect([...m.get('b')!.data]).toEqual([9]);
    // without its locator the archive is refused, naming the file
    const broken = out.slice();
    new DataView(broken.buffer).setUint32(eocd + 56, 0, true);
    expect(() => parseNpz(broken, 'big.npz')).toThrow(/zip64.*locator.*big\.npz/);
  });
  it('reads the packnet-sfm projected velodyne npz (375x1242 metres)', async () => {
    const a = await readNpzKey(join(fixtureData, 'kitti_raw/2011_09_26/2011_09_26_drive_0023_sync/proj_depth/velodyne/image_02/0000000000.npz'), 'velodyne_depth');
    expect(a.shape).toEqual([375, 1242]);
    let n = 0, hi = 0;
    for (const v of a.data) if (v > 0) { n++; hi = Math.max(hi, v); }
    expect(n).toBeGreaterThan(10000);
    expect(hi).toBeLessThan(120);
  });
});

describe('pfm', () => {
  it('round-trips and stores rows bottom-to-top', () => {
    const m = { data: new Float32Array([1, 2, 3, 4, 5, 6]), width: 3, height: 2 };
    const bytes = encodePfm(m);
    const back = parsePfm(bytes);
    expect([...back.data]).toEqual([1, 2, 3, 4, 5, 6]);
    const body = new Float32Array(bytes.slice(bytes.length - 24).buffer);
    expect([...body.slice(0, 3)]).toEqual([4, 5, 6]);
    expect(() => parsePfm(bytes.subarray(0, bytes.length - 4), 'short.pfm')).toThrow(/truncated PFM.*short\.pfm/);
  });
});

describe('velodyne and calib', () => {
  it('a velodyne length not divisible by 16 bytes names the file', () => {
    expect(() => parseVelodyne(new Uint8Array(36), 'scan.bin')).toThrow(/36 bytes: expected a multiple of 16.*scan\.bin/);
    expect(parseVelodyne(new Uint8Array(32)).count).toBe(2);
  });
  it('a calib file missing a key names the key and file', () => {
    const c = parseCalibText('calib_time: 09-Jan-2012 13:57:47\nP_rect_02: 1 2 3\n');
    expect(c.has('calib_time')).toBe(false);
    expect(() => calibKey(c, 'P_rect_03', 12, 'cam.txt')).toThrow(/missing key 'P_rect_03'.*cam\.txt/);
    expect(() => calibKey(c, 'P_rect_02', 12, 'cam.txt')).toThrow(/'P_rect_02' has 3 numbers: expected 12/);
  });
  it('real 2011_09_26 calib (bundled in datasets/kitti_sample): focal 721.5377, baseline ~0.54 m, S_rect 1242x375', async () => {
    const calibDir = join(repoRoot, 'datasets/kitti_sample/2011_09_26');
    const rig = await readRawStereoRig(join(calibDir, 'calib_cam_to_cam.txt'));
    expect(rig.focal).toBe(721.5377);
    expect(rig.baseline).toBeCloseTo(0.5327, 4);
    expect([rig.width, rig.height]).toEqual([1242, 375]);
    const v = await readRawVeloCalib(calibDir, 3);
    expect(v.pRect[3]).toBeCloseTo(-339.5242, 4);
  });
});

describe('HDF5 (h5wasm)', () => {
  async function writeH5(path: string, sets: { name: string; data: Float32Array | Uint8Array; shape: number[]; dtype: string }[]) {
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const f = new h5wasm.File(path, 'w');
    for (const s of sets) f.create_dataset(s);
    f.close();
  }
  it('fast-depth .h5: rgb CHW -> HWC, depth metres; NaN and wrong keys are errors naming the file', async () => {
    const h = 2, w = 3;
    const rgb = new Uint8Array(3 * h * w).map((_, i) => i);
    const depth = new Float32Array([1, 2, 3, 4, 5, 6]);
    const good = join(tmp, 'good.h5');
    await writeH5(good, [{ name: 'rgb', data: rgb, shape: [3, h, w], dtype: '<B' }, { name: 'depth', data: depth, shape: [h, w], dtype: '<f4' }]);
    const s = await readFastDepthH5(good);
    expect([...s.left.data.slice(0, 6)]).toEqual([0, 6, 12, 1, 7, 13]);
    expect([...s.gtDepth!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    const nan = join(tmp, 'nan.h5');
    await writeH5(nan, [{ name: 'rgb', data: rgb, shape: [3, h, w], dtype: '<B' }, { name: 'depth', data: new Float32Array([1, NaN, 3, 4, 5, 6]), shape: [h, w], dtype: '<f4' }]);
    await expect(readFastDepthH5(nan)).rejects.toThrow(/non-finite value \(NaN\) at element 1.*nan\.h5/);
    const wrong = join(tmp, 'wrong.h5');
    await writeH5(wrong, [{ name: 'image', data: rgb, shape: [3, h, w], dtype: '<B' }, { name: 'depth', data: depth, shape: [h, w], dtype: '<f4' }]);
    await expect(readFastDepthH5(wrong)).rejects.toThrow(/no dataset 'rgb': keys present are .*image/);
    await expect(H5Reader.open(join(tmp, 'absent.h5'))).rejects.toThrow(/missing HDF5 file.*absent\.h5/);
  });
  it('labeled .mat: reads one frame lazily and undoes MATLAB column-major order', async () => {
    const n = 2, h = 2, w = 3;
    // MATLAB images(y, x, c, k) is stored as HDF5 (k, c, x, y); encode value = 100k + 10y + x + c*50
    const images = new Uint8Array(n * 3 * w * h);
    const depths = new Float32Array(n * w * h);
    for (let k = 0; k < n; k++) for (let c = 0; c < 3; c++) for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) {
      images[((k * 3 + c) * w + x) * h + y] = k * 100 + y * 10 + x + c * 50;
      if (c === 0) depths[(k * w + x) * h + y] = k + y + x / 10;
    }
    const p = join(tmp, 'labeled.mat');
    await writeH5(p, [{ name: 'images', data: images, shape: [n, 3, w, h], dtype: '<B' }, { name: 'depths', data: depths, shape: [n, w, h], dtype: '<f4' }]);
    const ds = await NyuLabeledMatDataset.open(p);
    const s = await ds.get(1);
    ds.close();
    expect([s.left.width, s.left.height]).toEqual([3, 2]);
    // pixel (y=1, x=2) of frame 1: channels 112, 162, 212
    expect([...s.left.data.slice((1 * 3 + 2) * 3, (1 * 3 + 2) * 3 + 3)]).toEqual([112, 162, 212]);
    expect(s.gtDepth!.data[1 * 3 + 2]).toBeCloseTo(1 + 1 + 0.2, 5);

    // MATLAB writes v7.3 files through libhdf5 with a 512-byte user block (a 128-byte text header) before the
    // superblock; libhdf5 then stores base address 512 and an EOF that counts the block. The fixture was written by
    // h5py (libhdf5 1.10, userblock_size=512) with the same arrays and MATLAB's header (test/fixtures/data/hdf5/README.md).
    const libhdf5 = join(fixtureData, 'hdf5/labeled_userblock.mat');
    const fromLib = await NyuLabeledMatDataset.open(libhdf5);
    const m = await fromLib.get(1);
    fromLib.close();
    expect([...m.left.data]).toEqual([...s.left.data]);
    expect([...m.gtDepth!.data]).toEqual([...s.gtDepth!.data]);
    // A user block prepended after writing (h5jam's way): the superblock still says base 0.
    const header = readFileSync(libhdf5).subarray(0, 512);
    const jammed = join(tmp, 'labeled_jammed.mat');
    writeFileSync(jammed, Buffer.concat([header, readFileSync(p)]));
    const fromJam = await NyuLabeledMatDataset.open(jammed);
    expect([...(await fromJam.get(1)).left.data]).toEqual([...s.left.data]);
    fromJam.close();
    // Truncated after a user block, and a header that is not a multiple of 512 bytes: errors naming the file.
    const cut = join(tmp, 'labeled_cut.mat');
    writeFileSync(cut, readFileSync(libhdf5).subarray(0, 2000));
    await expect(NyuLabeledMatDataset.open(cut)).rejects.toThrow(/truncated HDF5 file: its superblock says 2644 bytes, the file has 2000.*labeled_cut\.mat/);
    const misaligned = join(tmp, 'labeled_bad.mat');
    writeFileSync(misaligned, Buffer.concat([header.subarray(0, 128), readFileSync(p)]));
    await expect(NyuLabeledMatDataset.open(misaligned)).rejects.toThrow(/no HDF5 signature at byte 0, 512.*labeled_bad\.mat/);
  });
});
