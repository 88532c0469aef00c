/**
 * The one interface every dataset adapter answers, and the sample it returns.
 * Images stay as decoded bytes here (HWC, row-major); the loader turns batches into NHWC tensors.
 */
import type { FloatMap, RgbImage, SplitLineRef } from '../io/types.js';
import type { TeacherKind } from '../losses/distill_objective.js';

export { DatasetError, type FloatMap, type RgbImage, type SplitLineRef } from '../io/types.js';
export type { TeacherKind } from '../losses/distill_objective.js';

/**
 * Camera of the LEFT view, for the image size it is attached to.
 * Pixel disparity d relates to metric depth z by z = focal * baseline / d.
 */
export interface StereoCamera {
  /** 3x3 intrinsics in pixels, row-major [fx,0,cx, 0,fy,cy, 0,0,1]. */
  K: number[];
  width: number;
  height: number;
  /** Horizontal focal length in pixels (= K[0]). */
  focal: number;
  /** Distance between the two camera centres, metres; the "right" view is +baseline along x. */
  baseline: number;
}

/** What a teacher map holds: depth (bigger = farther) or inverse depth (bigger = nearer), relative or metric. */

export interface StereoSample {
  /** Stable identifier (the split line it came from, normalised). */
  id: string;
  left: RgbImage;
  /** Absent for monocular-only datasets (NYUv2). */
  right?: RgbImage;
  camera: StereoCamera;
  /** Metric depth of the left view (metres, 0 = invalid), at its own resolution (may differ from left). */
  gtDepth?: FloatMap;
  /** Pixel disparity of the left view (0 = invalid), e.g. KITTI 2015 disp_noc. */
  gtDisparity?: FloatMap;
  /** Teacher map for distillation. */
  teacher?: FloatMap;
  teacherKind?: TeacherKind;
  /** Temporal neighbours of the left view (frame offsets -> image), for monocular training. */
  neighbours?: Record<number, RgbImage>;
}

export interface Dataset {
  /** Config name of the adapter, e.g. 'kitti_raw'. */
  readonly name: string;
  /** Number of samples (lines of the split). */
  readonly length: number;
  /** The split line behind sample `index` (for messages and for reproducible ordering). */
  ref(index: number): SplitLineRef;
  /** Reads sample `index`; throws a DatasetError naming the file (and split line) at fault. */
  get(index: number): Promise<StereoSample>;
}

