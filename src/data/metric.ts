/**
 * A dataset's metric convention, stated in its options instead of being hidden in a loss.
 * monodepth2 trains stereo with a fixed 0.1-unit baseline and multiplies predicted depth by 5.4 (= 0.54 m / 0.1) on
 * KITTI (`evaluate_depth.py` STEREO_SCALE_FACTOR); DistDepth multiplies by 1.312 on SimSIN (depth = 1.312 / scaled disp).
 */
export interface MetricConvention {
  /** True stereo baseline of the rig, metres (what StereoCamera.baseline carries). */
  baselineMetres: number;
  /** Baseline the loss uses when training in monodepth2's units (0.1); undefined = metric baseline. */
  trainingBaseline?: number;
  /** Factor from training-unit depth to metres (5.4 KITTI, 1.312 SimSIN); 1 when the training baseline is metric. */
  depthScaleFactor: number;
}

export const KITTI_METRIC: MetricConvention = { baselineMetres: 0.54, trainingBaseline: 0.1, depthScaleFactor: 5.4 };
export const SIMSIN_METRIC: MetricConvention = { baselineMetres: 0.1312, trainingBaseline: 0.1, depthScaleFactor: 1.312 };
