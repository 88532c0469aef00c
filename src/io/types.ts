/**
 * What file readers return and how they fail: decoded images, float maps, and the error that names the file (and the
 * split line) at fault. The data layer re-exports these as part of its sample types.
 */

/** A decoded image: HWC row-major. 8-bit images are Uint8Array in [0,255]. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 3 for colour (grey sources are expanded to 3). */
  channels: 3;
}

/** A dense single-channel float map (depth in metres, disparity in pixels, or a teacher map). 0 = invalid. */
export interface FloatMap {
  data: Float32Array;
  width: number;
  height: number;
}

/** Where a sample came from, for error messages: the split file and the 1-based line. */
export interface SplitLineRef {
  file: string;
  line: number;
  text: string;
}

/** An error about input data that names the file (and split line) and what was expected. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly ref?: SplitLineRef,
  ) {
    const where = [file, ref ? `split ${ref.file}:${ref.line}` : undefined].filter(Boolean).join(', ');
    super(where ? `${message} [${where}]` : message);
    this.name = 'DatasetError';
  }
}
