/** Small deterministic images in a dataset's own layout, for adapters whose real samples may not be redistributed (Cityscapes, NYU, SimSIN). */
import { writePng16, writeRgb } from '../../src/io/image.js';

/** A textured RGB image (distinct per `seed`), written as PNG or JPEG by the path's extension. */
export async function writeTestImage(path: string, width: number, height: number, seed = 0): Promise<void> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 7 + seed * 31) & 255;
      data[i + 1] = (y * 5 + seed * 17) & 255;
      data[i + 2] = ((x ^ y) * 3 + seed) & 255;
    }
  }
  await writeRgb(path, { data, width, height, channels: 3 });
}

/** A 16-bit single-channel PNG whose pixel i holds value(i). */
export async function writeTestPng16(path: string, width: number, height: number, value: (i: number) => number): Promise<void> {
  await writePng16(path, { data: Uint16Array.from({ length: width * height }, (_, i) => value(i)), width, height });
}
