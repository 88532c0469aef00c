/** Reads the two views of a stereo pair; views of different sizes are an error naming both files (and so both cameras). */
import { readRgb } from '../io/image.js';
import { DatasetError, type RgbImage, type SplitLineRef } from './types.js';

export async function readStereoPair(targetPath: string, partnerPath: string, ref?: SplitLineRef): Promise<[RgbImage, RgbImage]> {
  const [target, partner] = await Promise.all([readRgb(targetPath, ref), readRgb(partnerPath, ref)]);
  if (target.width !== partner.width || target.height !== partner.height) {
    throw new DatasetError(
      `stereo pair of different sizes: ${targetPath} is ${target.width}x${target.height} but its partner view ${partnerPath} is ${partner.width}x${partner.height}; ` +
        `expected both views of a rectified pair at the same size (one of the two files is from another camera or was resized)`,
      targetPath,
      ref,
    );
  }
  return [target, partner];
}
