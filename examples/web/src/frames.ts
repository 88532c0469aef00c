/**
 * Frame plumbing of the page: a picture source (image, video, webcam) -> the net's input tensor with the same resize as
 * Node's `rgbToNetInput` (tfjs bilinear, half-pixel centres, after /255), and the depth under a pointer.
 */
import * as tf from '@tensorflow/tfjs-core';

export type PictureSource = HTMLImageElement | HTMLVideoElement | HTMLCanvasElement | ImageBitmap;

/** [1, height, width, 3] in [0, 1]: the source's pixels /255, resized bilinearly (half-pixel centres) when needed. */
export function pictureToNetInput(source: PictureSource, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const pixels = tf.browser.fromPixels(source, 3);
    const x = tf.div(tf.expandDims(tf.cast(pixels, 'float32'), 0), 255) as tf.Tensor4D;
    if (x.shape[1] === height && x.shape[2] === width) return x;
    return tf.image.resizeBilinear(x, [height, width], false, true);
  });
}

/** Natural size of a source (a video's decoded frame size, an image's file size). */
export function pictureSize(source: PictureSource): { width: number; height: number } {
  if (source instanceof HTMLVideoElement) return { width: source.videoWidth, height: source.videoHeight };
  if (source instanceof HTMLImageElement) return { width: source.naturalWidth, height: source.naturalHeight };
  return { width: source.width, height: source.height };
}

/** The depth value under a pointer on an element showing the whole map (nearest net pixel). */
export function depthUnderPointer(
  depth: Float32Array, height: number, width: number, event: MouseEvent, element: HTMLElement,
): { x: number; y: number; value: number } | undefined {
  const r = element.getBoundingClientRect();
  const u = (event.clientX - r.left) / r.width;
  const v = (event.clientY - r.top) / r.height;
  if (!(u >= 0 && u < 1 && v >= 0 && v < 1)) return undefined;
  const x = Math.min(width - 1, Math.floor(u * width));
  const y = Math.min(height - 1, Math.floor(v * height));
  return { x, y, value: depth[y * width + x]! };
}

/** Frames per second of the last `window` frames (whole loop time, not just the network). */
export class FrameRate {
  private readonly times: number[] = [];
  constructor(private readonly window = 20) {}
  tick(now: number): number {
    this.times.push(now);
    if (this.times.length > this.window) this.times.shift();
    const n = this.times.length - 1;
    return n > 0 ? (n * 1000) / (this.times[n]! - this.times[0]!) : 0;
  }
}
