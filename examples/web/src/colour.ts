/** Draws a depth map with the project's preview colour map (magma on inverse depth, monodepth2's normalisation). */
import * as tf from '@tensorflow/tfjs-core';

import { colourMapDisparity } from '../../../src/util/colormap.js';

/** Colours `depth` (row-major height x width, 0 = none) into `canvas` (scaled to fill it); returns the depth range shown. */
export function colourDepth(depth: Float32Array, height: number, width: number, canvas: HTMLCanvasElement): { near: number; far: number } {
  let near = Infinity;
  let far = 0;
  // no depth -> NaN, which the colour map leaves out of its range and paints with its lowest colour
  const inverse = new Float32Array(depth.length).fill(Number.NaN);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i]!;
    if (d > 0 && Number.isFinite(d)) {
      inverse[i] = 1 / d;
      if (d < near) near = d;
      if (d > far) far = d;
    }
  }
  const rgb = tf.tidy(() => colourMapDisparity(tf.tensor2d(inverse, [height, width])));
  const values = rgb.dataSync() as Float32Array;
  rgb.dispose();
  const pixels = new ImageData(width, height);
  for (let i = 0, j = 0; i < values.length; i += 3, j += 4) {
    pixels.data[j] = values[i]! * 255;
    pixels.data[j + 1] = values[i + 1]! * 255;
    pixels.data[j + 2] = values[i + 2]! * 255;
    pixels.data[j + 3] = 255;
  }
  const small = new OffscreenCanvas(width, height);
  small.getContext('2d')!.putImageData(pixels, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  return { near: Number.isFinite(near) ? near : 0, far };
}
