/**
 * `stereodepth/web`: the browser-safe entry. tfjs-core, the project's network code and the output convention only —
 * no Node built-ins, sharp, h5wasm or workers are reachable from here (test/web/bundle.test.ts bundles it for the
 * browser to keep it so). Register a tfjs backend (webgl, wasm or cpu) before creating an estimator.
 */
export {
  createEstimator,
  type DepthEstimator,
  type EstimationConfig,
  type EstimatorConfig,
  type ImageDataLike,
  type ImageInput,
  type ModelSource,
} from './estimator.js';
export { EXPORT_FORMAT, exportedModelMeta, type ExportedModelJson, type ExportedModelMeta } from '../models/exported_model.js';
export {
  depthFromDisparity,
  depthScaleFactor,
  hasMetricScale,
  leftDisparity,
  metricDepth,
  type NetOutputKind,
  type OutputConvention,
  type Rig,
} from '../models/output_convention.js';
export type { DepthNet, DepthOutput } from '../models/types.js';
