/**
 * The public library API of stereodepth (Node). Grouped by what a user does; everything else is internal. The
 * browser-safe subset (load an exported model, estimate depth) is the separate entry `stereodepth/web`.
 */

// Running: recipes, training runs, config -> objects
export { loadConfig, validateConfig, resolveStage, ConfigError, type LoadedConfig } from './config/load.js';
export { datasetSchema } from './config/data_schema.js';
export { runConfigSchema, type RunConfig, type DatasetConfig, type ModelConfig, type LossConfig, type EvalConfig } from './config/schema.js';
export { runRecipe, planStages, type RecipeOptions, type RecipeResult } from './run/recipe.js';
export { runTraining, buildTraining, distillationFromConfig, initFromCheckpoint } from './run/training.js';
export {
  datasetFromConfig, ensureSynthetic, modelFromConfig, poseNetFromConfig, objectiveFromConfig, augmentFromConfig, outputConventionFromConfig,
  netFromCheckpoint, type TrainedNet,
} from './run/build.js';
export { train, runDirOf, formatMetricsTable, type TrainingParts, type TrainOptions, type TrainResult } from './train/trainer.js';
export { loadCheckpoint, saveCheckpoint, resolveCheckpointDir, type CheckpointState, type LoadedCheckpoint } from './train/checkpoint.js';
export { Adam, clipByGlobalNorm, type AdamOptions } from './train/optimizer.js';
export { learningRateAt, type ScheduleSpec } from './train/schedule.js';
export { trainStep, type StepResult, type LossOfSlice } from './train/step.js';
export { benchConfigStep, type ConfigBench, type ConfigBenchOptions } from './train/bench.js';
export { initBackend, shutdownBackend, BACKEND_NAMES, type BackendName, type BackendInfo, type BackendOptions } from './backend/index.js';

// Data: the Dataset interface, the adapters (one descriptor each), the loader, augmentation, the synthetic world
export * from './data/types.js';
export { defineDataset, type DatasetDescriptor, type DatasetEntry, type SplitSource } from './data/descriptor.js';
export { DATASETS, DATASET_NAMES, createDataset, findDataset } from './data/registry.js';
export { KittiRawDataset, type KittiRawOptions } from './data/kitti_raw.js';
export { KittiStereo2015Dataset, type KittiStereo2015Options } from './data/kitti_stereo2015.js';
export { CityscapesDataset, type CityscapesOptions } from './data/cityscapes.js';
export { SimsinDataset, SIMSIN_BASELINE, type SimsinOptions } from './data/simsin.js';
export { VaDataset, type VaOptions } from './data/va.js';
export { NyuH5Dataset, NyuLabeledMatDataset, type NyuH5Options } from './data/nyu.js';
export { FolderPairsDataset, type FolderPairsOptions } from './data/folder_pairs.js';
export { TeacherMapsDataset, readTeacherMap, teacherMapKey } from './data/teacher_maps.js';
export { parseSplitText, readSplit, SPLIT_FORMATS, type SplitLine, type SplitFormat } from './data/splits.js';
export { Loader, type Batch, type LoaderOptions, type LoaderState } from './data/loader.js';
export { augmentSample } from './data/augment.js';
export { MONODEPTH_AUGMENTATION, MONODEPTH2_AUGMENTATION, NO_AUGMENTATION, type AugmentConfig } from './data/augment_config.js';
export { generateDepthMap } from './data/velodyne_depth.js';
export * from './data/synthetic/index.js';

// Models and what their output means
export {
  createModel, createDepthNet, createEncoder, createDecoder, ENCODERS, DECODERS, PRESETS, PRESET_NAMES, type ModelName, type ModelPreset,
} from './models/registry.js';
export { depthNetFromSpec, poseNetFromSpec, type DepthNetSpec } from './models/build.js';
export type {
  DepthNet, DepthOutput, DepthNetConfig, Encoder, Decoder, EncoderDescriptor, DecoderDescriptor, ComponentSpec,
} from './models/types.js';
export { PoseNet, type PoseNetOptions, type PoseOutput } from './models/pose.js';
export * from './models/output_convention.js';
export { loadInto } from './models/weights.js';
export { saveTensors, loadTensors } from './models/tensor_file.js';
export { EXPORT_FORMAT, encodeExportedModel, exportedModelMeta, depthNetFromWeights, type ExportedModelJson, type ExportedModelMeta } from './models/exported_model.js';

// Losses and geometry (pure functions)
export { ssim, photometricError, smoothnessLoss, minReprojection, PHOTOMETRIC_DEFAULTS } from './losses/photometric.js';
export { monodepthLoss, lrConsistencyLoss, MONODEPTH_PRESET, type MonodepthLossOptions } from './losses/monodepth.js';
export { monodepth2Loss, MONODEPTH2_PRESET, type LossResult, type Monodepth2LossOptions } from './losses/monodepth2.js';
export { stereoObjective, monoObjective, type ObjectiveSettings } from './losses/objective.js';
export { distDepthLoss, statisticalLoss, spatialLoss, alignScaleShift, sobelEdgeMagnitude, DISTDEPTH_PRESET, type DistDepthLossOptions } from './losses/distill.js';
export { HintAdapters, hintLoss } from './losses/hint.js';
export { distDepthObjective, hintObjective, teacherMapToDepth } from './losses/distill_objective.js';
export { maskedL1Loss, berHuLoss, scaleInvariantLogLoss } from './losses/supervised.js';
export { bilinearSampler1dH, gridSample } from './geometry/sampler.js';
export { dispToDepth, widthFractionDisparityToDepth, depthToWidthFractionDisparity, backprojectDepth, project3d, warpByDepth, transformationFromParameters } from './geometry/camera.js';
export { resizeBilinearTorch } from './geometry/resize.js';

// Evaluation
export { computeDepthMetrics, averageMetrics, d1All, fastDepthMetrics, maiMetrics, DEPTH_METRIC_NAMES, type DepthMetrics } from './eval/metrics.js';
export { evaluateDepthImage, predictionToDepth, evaluateKittiStereoImage, type DepthEvalOptions, type DepthProtocol } from './eval/protocols.js';
export { runEvaluation, decideMedianScaling, loadPredictions, EVAL_SPLITS, EVAL_PROTOCOLS, type EvalRunOptions, type EvalRunResult } from './eval/run.js';
export { predictionSidecarSchema, readPredictionSidecar, sidecarPathFor, type PredictionSidecar } from './eval/convert.js';
export { cropBox, type CropName } from './eval/crops.js';
export { resizeBilinearCv2, resizeBilinearAlignCorners, type PlaneMap } from './eval/resize.js';
export { postProcessDisparity } from './eval/postprocess.js';
export { encodeGtFile, readGtFile } from './eval/gt.js';

// Inference and export
export { predictDisparity, predictSplit, rgbToNetInput, type SplitImage } from './infer/predict.js';
export { predictImageFiles, type ImagePredictionIndex } from './infer/images.js';
export { writePredictionsNpy } from './infer/write.js';
export { exportDepthNet, loadExportedModel } from './infer/export.js';
export { writeTeacherMaps, TEACHER_MAPS_MANIFEST, type TeacherMapsManifest } from './infer/teacher_cache.js';

// Files and utilities
export { readRgb, writeRgb, decodeRgb, encodeRgb, readPng16, writePng16 } from './io/image.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, readNpz, writeNpz } from './io/npy.js';
export { readPfm, writePfm } from './io/pfm.js';
export { H5Reader } from './io/h5.js';
export { readRawStereoRig } from './io/kitti_calib.js';
export { readVelodyne } from './io/velodyne.js';
export { Rng, type RngState } from './util/random.js';
export { writeFileAtomic } from './util/atomic.js';
export { ProgressBar, formatDuration } from './util/progress.js';
export { colourMapDisparity } from './util/colormap.js';
