/**
 * Scene and rig descriptions of the synthetic world.
 *
 * Frames: the world uses the camera's axes — x right, y DOWN, z forward (KITTI/OpenCV camera convention) —
 * metres. Cameras never rotate: a rig is a rectified stereo pair looking along +z, the right camera at
 * +baseline along x from the left one. So depth (GT) is the z distance from the left camera, and pixel
 * disparity is d = fx * baseline / z (right pixel u_r = u_l - d).
 */
import type { Material } from './texture.js';

/** The horizontal ground plane y = height (y down), with a road / sidewalk / grass layout along z. */
export interface GroundPlane {
  type: 'ground';
  y: number;
  /** Road half width (m): |x| < roadHalfWidth is road (asphalt + lane marks). */
  roadHalfWidth: number;
  /** Sidewalk out to this |x|; beyond it `outer`. */
  sidewalkHalfWidth: number;
  road: Material;
  marking: Material;
  sidewalk: Material;
  outer: Material;
}

/** An oriented box (yaw about the vertical y axis), e.g. car bodies, buildings, furniture. */
export interface Box {
  type: 'box';
  center: [number, number, number];
  /** Half extents along the box's local x, y, z. */
  half: [number, number, number];
  /** Rotation about y (radians). */
  yaw: number;
  material: Material;
}

/** A vertical cylinder (axis along y) from yTop to yBottom (yTop < yBottom, y down): poles, trunks, table legs. */
export interface Cylinder {
  type: 'cylinder';
  x: number;
  z: number;
  radius: number;
  yTop: number;
  yBottom: number;
  material: Material;
}

export interface Sphere {
  type: 'sphere';
  center: [number, number, number];
  radius: number;
  material: Material;
}

/**
 * A room seen from inside: the interior of an axis-aligned box; each of its 6 faces has a material.
 * Face order: -x, +x, -y (ceiling), +y (floor), -z, +z.
 */
export interface Room {
  type: 'room';
  min: [number, number, number];
  max: [number, number, number];
  faces: [Material, Material, Material, Material, Material, Material];
}

export type SceneObject = Box | Cylinder | Sphere;

export interface Lighting {
  /** Ambient radiance (multiplies albedo). */
  ambient: [number, number, number];
  /** Unit direction TOWARDS the light (world frame, y down: a high sun has negative y). */
  sunDirection: [number, number, number];
  sunColor: [number, number, number];
}

export interface Scene {
  ground?: GroundPlane;
  room?: Room;
  objects: SceneObject[];
  lighting: Lighting;
  /**
   * Sky: rays that hit nothing (or hit beyond `maxDistance`) see a sky colour that depends on the ray direction
   * only (so it is identical in both views, i.e. zero disparity) and are marked INVALID (depth 0) in the GT.
   */
  skyZenith: [number, number, number];
  skyHorizon: [number, number, number];
  /** Hits farther than this (m, along z) count as sky. */
  maxDistance: number;
  /** Exponential fog distance (m); 0 = none. Blends far surfaces to the horizon colour (looks right, stays consistent). */
  fogDistance: number;
}

/** A rectified stereo rig at a render size. K of the left camera; the right camera is +baseline along x. */
export interface StereoRig {
  name: string;
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Metres. */
  baseline: number;
  /** Camera height above the ground (m), for outdoor rigs. */
  cameraHeight: number;
}

/**
 * KITTI rig: real P_rect_02 of 2011_09_26 (fx = fy = 721.5377, cx 609.5593, cy 172.854 at 1242x375) scaled
 * to the render size (x by W/1242, y by H/375, as monodepth2 scales K), baseline 0.54 m, camera 1.65 m high.
 */
export function kittiRig(width = 640, height = 192): StereoRig {
  const sx = width / 1242;
  const sy = height / 375;
  return {
    name: 'kitti',
    width,
    height,
    fx: 721.5377 * sx,
    fy: 721.5377 * sy,
    cx: 609.5593 * sx,
    cy: 172.854 * sy,
    baseline: 0.54,
    cameraHeight: 1.65,
  };
}

/**
 * Cityscapes rig: camera json of aachen (fx 2262.52, fy 2265.30, u0 1096.98, v0 513.137 at 2048x1024,
 * baseline 0.209313 m, camera z 1.22 m) scaled to the render size.
 */
export function cityscapesRig(width = 512, height = 256): StereoRig {
  const sx = width / 2048;
  const sy = height / 1024;
  return {
    name: 'cityscapes',
    width,
    height,
    fx: 2262.52 * sx,
    fy: 2265.3 * sy,
    cx: 1096.98 * sx,
    cy: 513.137 * sy,
    baseline: 0.209313,
    cameraHeight: 1.22,
  };
}

/** SimSIN rig (DistDepth): 90 degree FoV, normalised K = [[0.5,0,0.5],[0,0.5,0.5]], baseline 13.12 cm. */
export function simsinRig(width = 256, height = 256): StereoRig {
  return {
    name: 'simsin',
    width,
    height,
    fx: 0.5 * width,
    fy: 0.5 * height,
    cx: 0.5 * width,
    cy: 0.5 * height,
    baseline: 0.1312,
    cameraHeight: 1.5,
  };
}

/**
 * NYUv2-like rig: Kinect colour intrinsics fx 518.857, fy 519.470, cx 325.582, cy 253.736 at 640x480, scaled.
 * NYUv2 is monocular RGB-D; the baseline (SimSIN's 13.12 cm) only matters if a right view is rendered.
 */
/**
 * MAI 2021-like capture rig: the challenge's RGB-D came from a ZED stereo camera at 640x480 (ANCHORS §6.5); its
 * intrinsics are not published, so this rig assumes a 90 deg horizontal field of view (fx = fy = W / 2), the ZED's
 * 12 cm baseline and a hand-held camera 1.5 m above the street.
 */
export const MAI_FOCAL_FRACTION = 0.5;
export function maiRig(width = 640, height = 480): StereoRig {
  const f = MAI_FOCAL_FRACTION * width;
  return { name: 'mai', width, height, fx: f, fy: f, cx: (width - 1) / 2, cy: (height - 1) / 2, baseline: 0.12, cameraHeight: 1.5 };
}

export function nyuRig(width = 640, height = 480): StereoRig {
  const sx = width / 640;
  const sy = height / 480;
  return {
    name: 'nyu',
    width,
    height,
    fx: 518.8579 * sx,
    fy: 519.4696 * sy,
    cx: 325.5824 * sx,
    cy: 253.7362 * sy,
    baseline: 0.1312,
    cameraHeight: 1.5,
  };
}
