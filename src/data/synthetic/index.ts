/** Public API of the synthetic stereo world (format writers stay internal: src/io owns the public ones). */
export * from './texture.js';
export {
  kittiRig, cityscapesRig, simsinRig, nyuRig,
  type StereoRig as SynthRig, type Scene as SynthScene, type SceneObject as SynthSceneObject,
  type Box as SynthBox, type Cylinder as SynthCylinder, type Sphere as SynthSphere, type Room as SynthRoom,
  type GroundPlane as SynthGroundPlane, type Lighting as SynthLighting,
} from './scene.js';
export { renderStereoPair, renderView, castRays, type RenderOptions, type RenderedPair, type RenderedView } from './render.js';
export * from './worlds.js';
export * from './lidar.js';
export * from './layout.js';
export * from './kitti_calib.js';
export * from './render_job.js';
export * from './writer.js';
