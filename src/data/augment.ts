/**
 * Stereo-consistent training augmentation: one random draw per sample (flip, crop window, colour) applied identically to
 * both views, the temporal neighbours, the GT depth and the teacher map, with the camera (K, focal, baseline) updated so
 * that the warp geometry of the augmented pair is exact.
 *
 * Pixel convention (the one of types.ts, KITTI/OpenCV and the synthetic renderer): pixel (u, v) has its CENTRE at integer
 * coordinates, u = fx * X/Z + cx. Hence
 *   - crop at (x0, y0):                   cx' = cx - x0                         (integer windows only)
 *   - resize by k = out/in (half-pixel):  cx' = (cx + 0.5) * k - 0.5, fx' = fx * k  (tf.image.resizeBilinear, halfPixelCenters)
 *   - horizontal flip of a W-wide image:  cx' = W - 1 - cx  (u -> W - 1 - u; the mirrored camera keeps fx)
 * The same formulas hold for y with fy, cy and heights.
 *
 * Flip modes (ANCHORS.md §4):
 *   - 'swap' (monodepth v1): left' = flip(right), right' = flip(left). In the mirrored world the old right camera sits on the
 *     LEFT of the old left camera, so the roles swap back and the signed baseline is unchanged. The GT depth, teacher map and
 *     temporal neighbours belong to the old left view, which is now the right view: they are dropped (undefined).
 *     Rectified pairs share K, so the new left view uses the flipped K. A sample without a right view is flipped in place.
 *   - 'negate_baseline' (monodepth2): every frame is flipped in place and keeps its role; the partner view now sits on the
 *     other side, so the signed baseline is negated. GT depth, teacher and neighbours are flipped with the left view.
 * In both cases the left view is reconstructed from the right one at x_right = u - focal * baseline / depth (signed baseline).
 *
 * Colour modes (augment_colour.ts):
 *   - 'v1' (monodepth): I^gamma * brightness * per-channel colour, clipped to [0,1], applied to the images the LOSS sees
 *     (left/right/neighbour images); the network inputs are copies of them.
 *   - 'v2' (monodepth2): torchvision ColorJitter(brightness, contrast, saturation, hue) with one draw (and one random op order)
 *     per sample, applied only to the NETWORK inputs; the loss sees the un-jittered images. Float-tensor semantics of
 *     torchvision (grey = 0.2989 R + 0.587 G + 0.114 B, contrast mean over the whole image, every op clipped to [0,1]).
 *
 * `sample.gtDisparity` is not carried: a disparity map changes with the zoom and the flip mode, so adapters that want it
 * supervised should convert it to depth (focal * |baseline| / d) into `gtDepth`, which stays metric here.
 */
import * as tf from '@tensorflow/tfjs-core';

import { applyColour } from './augment_colour.js';
import type { AugmentConfig, AugmentDraw, CropWindow, FlipMode } from './augment_config.js';
import type { FloatMap, RgbImage, StereoSample, TeacherKind } from './types.js';

// ---------------------------------------------------------------------------------------------------------------------
// Camera maths (pure numbers)

export interface AugmentedCamera {
  /** 3x3 row-major pixel intrinsics at the output size. */
  K: number[];
  baseline: number;
  /** Source width / crop width: the magnification of the crop on top of the plain resize (1 without crop). */
  zoom: number;
}

/**
 * Intrinsics after crop (integer window in source pixels), half-pixel-centre resize to `out` and an optional horizontal
 * flip, and the signed baseline after the flip mode. See the header for the formulas.
 */
export function augmentCamera(
  K: number[],
  baseline: number,
  source: { width: number; height: number },
  draw: Pick<AugmentDraw, 'flip' | 'crop'>,
  flipMode: FlipMode,
  out: { width: number; height: number },
): AugmentedCamera {
  if (K.length !== 9) throw new Error(`augmentCamera: K must be 9 numbers (3x3 row-major), got ${K.length}`);
  const win = draw.crop ?? { x: 0, y: 0, width: source.width, height: source.height };
  const kx = out.width / win.width;
  const ky = out.height / win.height;
  const fx = K[0]! * kx;
  const fy = K[4]! * ky;
  let cx = (K[2]! - win.x + 0.5) * kx - 0.5;
  const cy = (K[5]! - win.y + 0.5) * ky - 0.5;
  const skew = K[1]! * kx;
  if (draw.flip) cx = out.width - 1 - cx;
  return {
    // A flip mirrors x, so a (rare) skew term changes sign.
    K: [fx, draw.flip ? -skew : skew, cx, 0, fy, cy, 0, 0, 1],
    baseline: draw.flip && flipMode === 'negate_baseline' ? -baseline : baseline,
    zoom: source.width / win.width,
  };
}
// ---------------------------------------------------------------------------------------------------------------------
// Geometry of images and maps

export interface AugmentedSample {
  id: string;
  /** [H,W,3] float32 [0,1]: the images the LOSS sees (v1 colour applied here, to both views with the same draw). */
  left: tf.Tensor3D;
  right?: tf.Tensor3D;
  /** The NETWORK input (v2 colour applied only here); always a distinct tensor from `left` (dispose each). */
  leftInput: tf.Tensor3D;
  rightInput?: tf.Tensor3D;
  /** Temporal frames of the left view, same crop/flip/colour. Dropped by a swap flip (they belong to the new right view). */
  neighbours?: Record<number, { image: tf.Tensor3D; input: tf.Tensor3D }>;
  /** 3x3 row-major pixel intrinsics at the output size (pixel centres at integers; see the file header). */
  K: number[];
  /** K[0]. Pixel disparity at output size = focal * |baseline| / depth. */
  focal: number;
  /** Metres, signed: negated by negate_baseline flips, unchanged by swap flips. */
  baseline: number;
  flipped: boolean;
  /**
   * Source width / crop width (1 without crop): how much the crop magnifies on top of the plain source->output resize.
   * focal already contains it; a width-fraction disparity focal*|baseline|/(depth*W) is `zoom` times the uncropped one.
   */
  zoom: number;
  /** [H,W,1] metric depth of the left view at output size, nearest resampling (0 = invalid). Undefined after a swap flip. */
  gtDepth?: tf.Tensor3D;
  /** [H,W,1] bilinear, same crop/flip. Undefined after a swap flip. */
  teacher?: tf.Tensor3D;
  teacherKind?: TeacherKind;
}

/** Bytes -> [0,1] floats; the division runs as a tensor op (7x faster than a JS loop, same correctly rounded values). */
function imageTensor(img: RgbImage): tf.Tensor3D {
  return tf.tidy(() => tf.div(tf.tensor3d(new Float32Array(img.data), [img.height, img.width, 3]), 255));
}

/** Integer crop, half-pixel-centre bilinear resize to `out`, optional flip. */
function cropResizeFlip(x: tf.Tensor3D, win: CropWindow, out: { width: number; height: number }, flip: boolean): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = x.shape;
    let y: tf.Tensor3D = win.x === 0 && win.y === 0 && win.width === w && win.height === h ? x : tf.slice(x, [win.y, win.x, 0], [win.height, win.width, x.shape[2]]);
    if (win.width !== out.width || win.height !== out.height) y = tf.image.resizeBilinear(y, [out.height, out.width], false, true);
    if (flip) y = tf.reverse(y, 1);
    return y === x ? tf.clone(x) : y;
  });
}

/**
 * Nearest-neighbour resampling of a map (any resolution covering the same field of view as the source image) onto the
 * output grid: output pixel centre -> crop -> source -> map coordinates (pixel centres at integers), rounded to the
 * nearest map pixel. Values are copied, never mixed, so sparse GT stays exact and 0 stays invalid.
 */
export function resampleMapNearest(map: FloatMap, source: { width: number; height: number }, win: CropWindow, out: { width: number; height: number }, flip: boolean): Float32Array {
  const index = (o: number, outSize: number, start: number, size: number, srcSize: number, mapSize: number): number => {
    const s = start + (o + 0.5) * (size / outSize) - 0.5; // source pixel coordinate
    const m = (s + 0.5) * (mapSize / srcSize) - 0.5; // map pixel coordinate
    return Math.min(mapSize - 1, Math.max(0, Math.round(m)));
  };
  const cols = Array.from({ length: out.width }, (_, j) => index(flip ? out.width - 1 - j : j, out.width, win.x, win.width, source.width, map.width));
  const rows = Array.from({ length: out.height }, (_, i) => index(i, out.height, win.y, win.height, source.height, map.height));
  const res = new Float32Array(out.width * out.height);
  for (let i = 0; i < out.height; i++) {
    const base = rows[i]! * map.width;
    for (let j = 0; j < out.width; j++) res[i * out.width + j] = map.data[base + cols[j]!]!;
  }
  return res;
}

function checkSize(what: string, id: string, got: { width: number; height: number }, want: { width: number; height: number }): void {
  if (got.width !== want.width || got.height !== want.height) {
    throw new Error(`augmentSample(${id}): ${what} is ${got.width}x${got.height}, expected the left image size ${want.width}x${want.height}`);
  }
}

/**
 * Applies one draw to a sample and returns tensors at the output size (every tensor is new; the caller disposes them).
 * `cfg` supplies the flip mode; the colour mode comes from the draw.
 */
export function augmentSample(sample: StereoSample, draw: AugmentDraw, cfg: AugmentConfig, out: { height: number; width: number }): AugmentedSample {
  if (!(Number.isInteger(out.width) && Number.isInteger(out.height) && out.width > 0 && out.height > 0)) {
    throw new Error(`augmentSample(${sample.id}): output size must be positive integers, got ${out.width}x${out.height}`);
  }
  const source = { width: sample.left.width, height: sample.left.height };
  checkSize('camera', sample.id, sample.camera, source);
  if (sample.right) checkSize('right image', sample.id, sample.right, source);
  for (const [k, img] of Object.entries(sample.neighbours ?? {})) checkSize(`neighbour ${k}`, sample.id, img, source);
  const win = draw.crop ?? { x: 0, y: 0, width: source.width, height: source.height };
  if (!(Number.isInteger(win.x) && Number.isInteger(win.y) && win.x >= 0 && win.y >= 0 && win.width >= 1 && win.height >= 1 && win.x + win.width <= source.width && win.y + win.height <= source.height)) {
    throw new Error(`augmentSample(${sample.id}): crop ${JSON.stringify(win)} is not an integer window inside ${source.width}x${source.height}`);
  }

  const flipMode = cfg.flip.mode;
  // A swap needs a partner view; a monocular sample is flipped in place.
  const swap = draw.flip && flipMode === 'swap' && sample.right !== undefined;
  const cam = augmentCamera(sample.camera.K, sample.camera.baseline, source, draw, flipMode, out);

  const colour = draw.colour;
  /** Loss image and network input of one frame. */
  const frame = (img: RgbImage): { image: tf.Tensor3D; input: tf.Tensor3D } => {
    const geometric = tf.tidy(() => cropResizeFlip(imageTensor(img), win, out, draw.flip));
    if (!colour) return { image: geometric, input: tf.clone(geometric) };
    const jittered = applyColour(geometric, colour);
    if (colour.mode === 'v1') {
      geometric.dispose();
      return { image: jittered, input: tf.clone(jittered) };
    }
    return { image: geometric, input: jittered };
  };

  const leftSource = swap ? sample.right! : sample.left;
  const rightSource = swap ? sample.left : sample.right;
  const left = frame(leftSource);
  const right = rightSource ? frame(rightSource) : undefined;

  const result: AugmentedSample = {
    id: sample.id,
    left: left.image,
    leftInput: left.input,
    K: cam.K,
    focal: cam.K[0]!,
    baseline: cam.baseline,
    flipped: draw.flip,
    zoom: cam.zoom,
  };
  if (right) {
    result.right = right.image;
    result.rightInput = right.input;
  }
  if (swap) return result; // GT, teacher and neighbours describe the old left view, now the right one.

  if (sample.neighbours) {
    result.neighbours = {};
    for (const [k, img] of Object.entries(sample.neighbours)) result.neighbours[Number(k)] = frame(img);
  }
  if (sample.gtDepth) {
    result.gtDepth = tf.tensor3d(resampleMapNearest(sample.gtDepth, source, win, out, draw.flip), [out.height, out.width, 1]);
  }
  if (sample.teacher) {
    const t = sample.teacher;
    result.teacher = tf.tidy(() => {
      let map = tf.tensor3d(t.data, [t.height, t.width, 1]);
      // A teacher at another resolution is first brought to the source grid, so one crop window serves every map.
      if (t.width !== source.width || t.height !== source.height) map = tf.image.resizeBilinear(map, [source.height, source.width], false, true);
      return cropResizeFlip(map, win, out, draw.flip);
    });
    if (sample.teacherKind) result.teacherKind = sample.teacherKind;
  }
  return result;
}

/** Disposes every tensor of an augmented sample. */
export function disposeAugmentedSample(s: AugmentedSample): void {
  const ts: (tf.Tensor | undefined)[] = [s.left, s.right, s.leftInput, s.rightInput, s.gtDepth, s.teacher];
  for (const n of Object.values(s.neighbours ?? {})) ts.push(n.image, n.input);
  for (const t of ts) t?.dispose();
}
