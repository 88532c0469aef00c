/**
 * Bilinear sampling of an image at per-pixel coordinates inside it, as one kernel each way where the backend has them
 * (tensorflow: CropAndResize with 1x1 crops and its box gradient, native_bilinear.ts). Composed from gathers, the
 * 2-D sampler of src/geometry/sampler.ts runs ~130 tfjs kernels forward on tensorflow, 16 of them multiplications of
 * [N,H,W,3] taps by [N,H,W,1] weights that TensorFlow broadcasts along the last axis ~5x slower than its same-shape
 * kernels. This file stays free of Node-only imports: the geometry imports its kernel names.
 *
 * Contract (float32, NHWC):
 *   BILINEAR_SAMPLE       inputs image [N,H,W,C], x, y [N,Ho,Wo] (pixel coordinates, pixel centres at integers, inside
 *                         [0,W-1] x [0,H-1]; H, W >= 2) -> [N,Ho,Wo,C], the bilinear interpolant of each image at (x, y).
 *   BILINEAR_SAMPLE_GRAD  inputs dy [N,Ho,Wo,C], image, x, y; attr imageGradient -> [dImage [N,H,W,C] (zeros unless
 *                         imageGradient), dx, dy [N,Ho,Wo]]: dx = sum_c dy_c * d(sample_c)/dx (the interpolant's slope), and
 *                         dImage the scatter-add of the bilinear weights times dy.
 * At exactly integer coordinates TensorFlow's slope is 0 (its taps are floor and ceil, one pixel there), where the composed
 * sampler takes the slope towards the next pixel; coordinates from a warp are integers only by accident.
 */
export const BILINEAR_SAMPLE = 'StereodepthBilinearSample';
export const BILINEAR_SAMPLE_GRAD = 'StereodepthBilinearSampleGrad';
