/**
 * Colour augmentation ops (tf, leak-free, [H,W,3] in [0,1]) applying one ColourDraw:
 *   - 'v1' (monodepth): I^gamma * brightness * per-channel colour, clipped to [0,1], applied to the images the LOSS sees
 *     (left/right/neighbour images); the network inputs are copies of them.
 *   - 'v2' (monodepth2): torchvision ColorJitter(brightness, contrast, saturation, hue) with one draw (and one random op order)
 *     per sample, applied only to the NETWORK inputs; the loss sees the un-jittered images. Float-tensor semantics of
 *     torchvision (grey = 0.2989 R + 0.587 G + 0.114 B, contrast mean over the whole image, every op clipped to [0,1]).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { ColourDraw } from './augment_config.js';

const clip01 = (x: tf.Tensor): tf.Tensor => tf.clipByValue(x, 0, 1);

/** monodepth v1: clip(I^gamma * brightness * colour_c, 0, 1). */
export function colourJitterV1(image: tf.Tensor3D, d: Extract<ColourDraw, { mode: 'v1' }>): tf.Tensor3D {
  return tf.tidy(() => {
    const gain = tf.tensor1d(d.channel.map((c) => c * d.brightness));
    return clip01(tf.mul(tf.pow(image, d.gamma), gain)) as tf.Tensor3D;
  });
}

/** torchvision rgb_to_grayscale weights (ITU-R 601-2 luma). */
const GREY_WEIGHTS = [0.2989, 0.587, 0.114];

function grey(image: tf.Tensor): tf.Tensor {
  return mixChannels(image, GREY_WEIGHTS.map((w) => [w]));
}

/** torchvision `_blend`: clip(factor * a + (1 - factor) * b, 0, 1). */
function blend(a: tf.Tensor, b: tf.Tensor | number, factor: number): tf.Tensor {
  return clip01(tf.add(tf.mul(a, factor), tf.mul(b, 1 - factor)));
}

/**
 * Per-pixel linear mixes of the channels: [.., 3] x [3, k] -> [.., k]. One matMul instead of slicing channels apart
 * (Slice/Pack are slow kernels on wasm: a hue turn of a 640x192 image took ~220 ms with unstack/stack, ~40 ms like this).
 */
function mixChannels(x: tf.Tensor, columns: number[][]): tf.Tensor {
  const k = columns[0]!.length;
  const flat = tf.reshape(x, [-1, 3]);
  return tf.reshape(tf.matMul(flat, tf.tensor2d(columns.flat(), [3, k])), [...x.shape.slice(0, -1), k]);
}

interface HsvParts {
  /** Hue in turns, [0, 1). Each part is [.., 1]. */
  h: tf.Tensor;
  s: tf.Tensor;
  v: tf.Tensor;
}

/** (G-B, B-R, R-G): the hue numerators when the maximum is R, G or B. */
const HUE_DIFFERENCES = [
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
];

/**
 * RGB -> HSV (colorsys / torchvision): v = max, s = (max - min) / max, hue sextant = (G-B)/delta if the maximum is R,
 * 2 + (B-R)/delta if G, 4 + (R-G)/delta if B (the hue is continuous, so ties may pick either); grey pixels get h = s = 0.
 */
function hsvParts(image: tf.Tensor): HsvParts {
  const v = tf.max(image, -1, true);
  const delta = tf.sub(v, tf.min(image, -1, true));
  const chromatic = tf.cast(tf.greater(delta, 0), 'float32');
  const s = tf.div(delta, tf.maximum(v, 1e-12)); // v = 0 implies delta = 0
  const safeDelta = tf.add(delta, tf.sub(1, chromatic));
  const maxIsChannel = tf.cast(tf.oneHot(tf.argMax(image, -1), 3), 'float32');
  const candidates = tf.add(tf.div(mixChannels(image, HUE_DIFFERENCES), safeDelta), tf.tensor1d([0, 2, 4]));
  const turns = tf.div(tf.sum(tf.mul(maxIsChannel, candidates), -1, true), 6);
  return { h: tf.mul(tf.sub(turns, tf.floor(turns)), chromatic), s, v };
}

/** HSV -> RGB: channel n of (R,G,B) = (5,3,1) is v - v*s*clip(min(k, 4-k), 0, 1) with k = (n + 6h) mod 6. */
function rgbFromHsvParts({ h, s, v }: HsvParts): tf.Tensor {
  const k0 = tf.add(tf.mul(h, 6), tf.tensor1d([5, 3, 1]));
  const k = tf.sub(k0, tf.mul(tf.floor(tf.div(k0, 6)), 6));
  const ramp = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
  return tf.sub(v, tf.mul(tf.mul(v, s), ramp));
}

/** RGB [.., 3] in [0,1] -> HSV [.., 3] with h in turns [0,1), s, v in [0,1]. */
export function rgbToHsv(image: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { h, s, v } = hsvParts(image);
    return tf.concat([h, s, v], -1);
  });
}

/** HSV [.., 3] (h in turns) -> RGB [.., 3]. */
export function hsvToRgb(hsv: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [h, s, v] = [0, 1, 2].map((c) => mixChannels(hsv, [0, 1, 2].map((r) => [r === c ? 1 : 0])));
    return rgbFromHsvParts({ h: h!, s: s!, v: v! });
  });
}

/** torchvision adjust_hue: rotate the hue by `shift` turns (in [-0.5, 0.5]), clipped to [0,1]. */
export function adjustHue(image: tf.Tensor3D, shift: number): tf.Tensor3D {
  return tf.tidy(() => {
    const parts = hsvParts(image);
    const moved = tf.add(parts.h, shift);
    return clip01(rgbFromHsvParts({ ...parts, h: tf.sub(moved, tf.floor(moved)) })) as tf.Tensor3D;
  });
}

/** torchvision ColorJitter with a fixed draw: the four ops in `d.order`, each clipped to [0,1]. */
export function colourJitterV2(image: tf.Tensor3D, d: Extract<ColourDraw, { mode: 'v2' }>): tf.Tensor3D {
  return tf.tidy(() => {
    let x: tf.Tensor = image;
    for (const op of d.order) {
      if (op === 'brightness') x = blend(x, 0, d.brightness);
      else if (op === 'contrast') x = blend(x, tf.mean(grey(x)), d.contrast);
      else if (op === 'saturation') x = blend(x, grey(x), d.saturation);
      else x = adjustHue(x as tf.Tensor3D, d.hue);
    }
    return x as tf.Tensor3D;
  });
}

export function applyColour(image: tf.Tensor3D, d: ColourDraw): tf.Tensor3D {
  return d.mode === 'v1' ? colourJitterV1(image, d) : colourJitterV2(image, d);
}
