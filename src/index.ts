/** Public library API of stereodepth. */
export * from './data/types.js';
export { Rng, type RngState } from './util/random.js';
export { writeFileAtomic, writeFileAtomicSync } from './util/atomic.js';
export { ProgressBar, formatDuration } from './util/progress.js';
export * from './backend/index.js';
export {
  computeDepthMetrics, averageMetrics, median, medianLower, d1All, fastDepthMetrics, maiMetrics, DEPTH_METRIC_NAMES,
  type DepthMetrics, type D1Comparison, type FastDepthMetrics, type MaiMetrics,
} from './eval/metrics.js';
export { cropBox, validIndices, type CropBox, type CropName, type GtMaskRule } from './eval/crops.js';
export { resizeBilinearCv2, resizeBilinearAlignCorners, type PlaneMap } from './eval/resize.js';
export { postProcessDisparity, edgeRampLeftMask } from './eval/postprocess.js';
export {
  predictionValueToDepth, scaleSigmoidDisparity, toPixelDisparity, predictionSidecarSchema, readPredictionSidecar, sidecarPathFor,
  PREDICTION_CONVENTIONS, type PredictionConvention, type PredictionSidecar, type TrainedWith,
} from './eval/convert.js';
export { evaluateDepthImage, predictionToDepth, evaluateKittiStereoImage, trainingMonitorDepthMetrics, type DepthEvalOptions, type DepthProtocol } from './eval/protocols.js';
export { runEvaluation, decideMedianScaling, loadPredictions, type EvalRunOptions, type EvalRunResult } from './eval/run.js';
export { encodeGtFile, readGtFile } from './eval/gt.js';
export { formatBackendInfo, infoCommand } from './cli/info.js';
export * from './io/image.js';
export * from './io/npy.js';
export * from './io/pfm.js';
export * from './io/h5.js';
export * from './io/kitti_calib.js';
export * from './io/velodyne.js';
export * from './data/velodyne_depth.js';
export * from './data/splits.js';
export * from './data/metric.js';
export * from './data/kitti_raw.js';
export * from './data/kitti_stereo2015.js';
export * from './data/cityscapes.js';
export * from './data/simsin.js';
export * from './data/nyu.js';
export * from './data/folder_pairs.js';
export * from './data/registry.js';
export * from './geometry/sampler.js';
export * from './geometry/camera.js';
export * from './geometry/resize.js';
export * from './losses/photometric.js';
export * from './losses/monodepth.js';
export * from './losses/monodepth2.js';
export * from './losses/distill.js';
export * from './losses/hint.js';
export * from './losses/distill_objective.js';
export * from './data/teacher_maps.js';
export { writeTeacherMaps, writeTeacherMapFiles, TEACHER_MAPS_MANIFEST, type TeacherMapsManifest } from './infer/teacher_cache.js';
export * from './losses/supervised.js';
export * from './data/va.js';
export * from './data/synthetic/index.js';
export * from './data/augment.js';
export * from './losses/presets.js';
export * from './backend/bench_ops.js';
export * from './models/registry.js';
export * from './models/types.js';
export { ParamStore, type PaddingMode } from './models/layers.js';
export { ResnetEncoder } from './models/resnet.js';
export { DepthDecoder } from './models/decoder.js';
export { PoseNet, countParams, type PoseNetOptions, type PoseOutput } from './models/pose.js';
export * from './models/weights.js';
export { Adam, clipByGlobalNorm, type AdamOptions } from './train/optimizer.js';
export { learningRateAt, type ScheduleSpec } from './train/schedule.js';
export { trainStep, type StepResult, type LossOfSlice } from './train/step.js';
export { benchConfigStep, type ConfigBench, type ConfigBenchOptions } from './train/bench.js';
export { SummaryWriter, crc32c, maskedCrc32c, frameRecord, EVENT_FILE_VERSION, type SummaryWriterOptions } from './train/tensorboard.js';
export { colourMapDisparity, encodePng, tensorToRgbImage, MAGMA_LUT, type ColourMapOptions } from './util/colormap.js';
