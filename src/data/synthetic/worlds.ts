/**
 * Procedural scene generators: outdoor streets (KITTI-like and Cityscapes-like styles) and indoor rooms with
 * furniture and some textureless walls (SimSIN/NYU-like). Every draw goes through the given Rng, so a scene
 * is a pure function of its seed. A street is a static scene the camera drives through along +z, so
 * consecutive frames of a drive are views of the same world (monodepth2 temporal training works).
 */
import type { Rng } from '../../util/random.js';
import type { Material, Rgb, TextureKind } from './texture.js';
import type { Box, Cylinder, Scene, SceneObject, Sphere } from './scene.js';

function material(rng: Rng, kind: TextureKind, color: Rgb, color2: Rgb, scale: number, contrast = 1): Material {
  return { kind, color, color2, scale, seed: rng.int(0, 2 ** 30), contrast };
}

function jitter(rng: Rng, c: Rgb, amount: number): Rgb {
  return c.map((v) => Math.min(1, Math.max(0, v + rng.uniform(-amount, amount)))) as Rgb;
}

function grey(v: number): Rgb {
  return [v, v, v * 1.03];
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length)]!;
}

function box(center: [number, number, number], half: [number, number, number], yaw: number, m: Material): Box {
  return { type: 'box', center, half, yaw, material: m };
}

export type StreetStyle = 'kitti' | 'cityscapes';

export interface StreetOptions {
  /** Ground plane height below the camera (m): the rig's camera height. */
  cameraHeight: number;
  /** Length of road the camera drives (m): objects are placed over [-30, driveLength + 140]. */
  driveLength: number;
  style: StreetStyle;
}

const CAR_PAINTS: Rgb[] = [
  [0.75, 0.1, 0.08], [0.1, 0.2, 0.6], [0.85, 0.85, 0.85], [0.12, 0.12, 0.13], [0.5, 0.52, 0.55],
  [0.9, 0.75, 0.2], [0.15, 0.4, 0.2], [0.55, 0.3, 0.15],
];
const FACADES: Rgb[] = [
  [0.75, 0.68, 0.55], [0.6, 0.35, 0.28], [0.8, 0.8, 0.75], [0.55, 0.55, 0.58], [0.7, 0.55, 0.4], [0.45, 0.42, 0.4],
];

/** A car: body, cabin with dark windows, dark underbody; yaw about y. */
function car(rng: Rng, x: number, z: number, groundY: number, yaw: number): Box[] {
  const paint = jitter(rng, pick(rng, CAR_PAINTS), 0.05);
  const len = rng.uniform(1.9, 2.3);
  const wid = rng.uniform(0.8, 0.95);
  const bodyH = rng.uniform(0.32, 0.4);
  const body = material(rng, 'noise', paint, jitter(rng, paint, 0.15), 0.6, 0.6);
  const glass = material(rng, 'stripes', [0.12, 0.14, 0.17], [0.3, 0.33, 0.36], 0.5, 0.8);
  const dark = material(rng, 'noise', [0.05, 0.05, 0.05], [0.15, 0.15, 0.15], 0.3, 1);
  const bodyCy = groundY - 0.3 - bodyH;
  const cabinH = rng.uniform(0.22, 0.3);
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  const cabinShift = rng.uniform(-0.3, 0.1);
  return [
    box([x, bodyCy, z], [wid, bodyH, len], yaw, body),
    box([x + s * cabinShift, bodyCy - bodyH - cabinH, z + c * cabinShift], [wid * 0.85, cabinH, len * 0.5], yaw, glass),
    box([x, groundY - 0.15, z], [wid * 0.9, 0.15, len * 0.85], yaw, dark),
  ];
}

/** A tree: trunk cylinder and a noisy green sphere crown. */
function tree(rng: Rng, x: number, z: number, groundY: number): SceneObject[] {
  const h = rng.uniform(2.5, 5);
  const r = rng.uniform(1.2, 2.4);
  const trunk: Cylinder = {
    type: 'cylinder', x, z, radius: rng.uniform(0.12, 0.25), yTop: groundY - h, yBottom: groundY,
    material: material(rng, 'noise', [0.3, 0.2, 0.12], [0.18, 0.12, 0.08], 0.15, 1),
  };
  const crown: Sphere = {
    type: 'sphere', center: [x, groundY - h - r * 0.7, z], radius: r,
    material: material(rng, 'noise', jitter(rng, [0.2, 0.42, 0.15], 0.06), [0.08, 0.2, 0.06], 0.35, 1),
  };
  return [trunk, crown];
}

/** A street scene: road, sidewalks, buildings, parked and driving cars, poles, trees, boxes; sun and sky vary. */
export function makeStreetScene(rng: Rng, opts: StreetOptions): Scene {
  const g = opts.cameraHeight;
  const city = opts.style === 'cityscapes';
  const roadHalf = city ? rng.uniform(3.2, 5) : rng.uniform(3.5, 6);
  const walkHalf = roadHalf + rng.uniform(2, 3.5);
  const zStart = -30;
  const zEnd = opts.driveLength + 140;
  const objects: SceneObject[] = [];

  // Buildings (or hedges) on both sides, in runs with gaps.
  for (const side of [-1, 1]) {
    let z = zStart;
    while (z < zEnd) {
      const len = rng.uniform(city ? 6 : 8, city ? 16 : 22);
      if (rng.bernoulli(city ? 0.9 : 0.7)) {
        const setback = rng.uniform(0.3, city ? 2 : 6);
        const depth = rng.uniform(8, 14);
        const height = rng.uniform(city ? 10 : 5, city ? 24 : 16);
        const facade = jitter(rng, pick(rng, FACADES), 0.06);
        const kind: TextureKind = rng.bernoulli(0.75) ? 'windows' : 'bricks';
        const m = kind === 'windows'
          ? material(rng, 'windows', facade, jitter(rng, [0.2, 0.25, 0.3], 0.08), rng.uniform(1.6, 2.6), 1)
          : material(rng, 'bricks', facade, [0.82, 0.8, 0.76], rng.uniform(0.18, 0.3), 1);
        const x = side * (walkHalf + setback + depth / 2);
        objects.push(box([x, g - height / 2, z + len / 2], [depth / 2, height / 2, len / 2], 0, m));
      } else if (rng.bernoulli(0.6)) {
        const hedgeH = rng.uniform(0.8, 2);
        const x = side * (walkHalf + 0.8);
        objects.push(box([x, g - hedgeH / 2, z + len / 2], [0.6, hedgeH / 2, len / 2], 0,
          material(rng, 'noise', [0.18, 0.35, 0.12], [0.08, 0.18, 0.05], 0.25, 1)));
      }
      z += len + (rng.bernoulli(0.3) ? rng.uniform(2, 10) : 0);
    }
  }

  // Parked cars along both kerbs, a few driving cars in the lanes (never on the camera's own path x ~ 0).
  for (let z = zStart; z < zEnd; z += rng.uniform(5, 14)) {
    const side = rng.bernoulli(0.5) ? -1 : 1;
    if (rng.bernoulli(0.7)) objects.push(...car(rng, side * (roadHalf - 1.1), z, g, rng.uniform(-0.08, 0.08)));
  }
  for (let z = rng.uniform(8, 25); z < zEnd; z += rng.uniform(15, 40)) {
    const lane = rng.bernoulli(0.5) ? -1 : 1;
    const x = lane * rng.uniform(2.2, Math.max(2.3, roadHalf - 1.5));
    objects.push(...car(rng, x, z, g, rng.uniform(-0.15, 0.15) + (lane < 0 ? Math.PI : 0)));
  }

  // Poles (some with a sign), trees and boxes on the sidewalks.
  for (let z = zStart + rng.uniform(0, 10); z < zEnd; z += rng.uniform(10, 25)) {
    const side = rng.bernoulli(0.5) ? -1 : 1;
    const x = side * (roadHalf + rng.uniform(0.4, 0.9));
    const h = rng.uniform(3.5, 7);
    objects.push({
      type: 'cylinder', x, z, radius: rng.uniform(0.06, 0.14), yTop: g - h, yBottom: g,
      material: material(rng, 'stripes', [0.45, 0.46, 0.48], [0.3, 0.3, 0.32], 0.4, 0.6),
    });
    if (rng.bernoulli(0.4)) {
      objects.push(box([x, g - h + 0.4, z], [0.35, 0.35, 0.04], 0,
        material(rng, 'stripes', pick(rng, [[0.8, 0.1, 0.1], [0.1, 0.3, 0.8], [0.95, 0.8, 0.1]] as Rgb[]), [0.95, 0.95, 0.95], 0.15, 1)));
    }
  }
  for (let z = zStart + rng.uniform(0, 15); z < zEnd; z += rng.uniform(8, 30)) {
    const side = rng.bernoulli(0.5) ? -1 : 1;
    objects.push(...tree(rng, side * (walkHalf - rng.uniform(0.6, 1.2)), z, g));
  }
  for (let z = zStart + rng.uniform(0, 10); z < zEnd; z += rng.uniform(10, 30)) {
    const side = rng.bernoulli(0.5) ? -1 : 1;
    const s = rng.uniform(0.3, 0.7);
    objects.push(box([side * (roadHalf + rng.uniform(1, 2)), g - s, z], [s, s, s * rng.uniform(0.6, 1.4)], rng.uniform(0, 1.5),
      material(rng, pick(rng, ['patches', 'noise', 'stripes'] as const), jitter(rng, [0.45, 0.4, 0.3], 0.2), jitter(rng, [0.3, 0.3, 0.3], 0.2), rng.uniform(0.1, 0.4), 1)));
  }

  const sunElevation = rng.uniform(0.3, 1.1);
  const sunAzimuth = rng.uniform(-Math.PI, Math.PI);
  const ambient = rng.uniform(0.35, 0.55);
  const sun = rng.uniform(0.45, 0.8);
  return {
    ground: {
      type: 'ground', y: g, roadHalfWidth: roadHalf, sidewalkHalfWidth: walkHalf,
      road: material(rng, 'asphalt', grey(rng.uniform(0.25, 0.38)), [0, 0, 0], 0.5, 1),
      marking: material(rng, 'asphalt', [0.9, 0.9, 0.88], [0, 0, 0], 0.3, 0.4),
      sidewalk: material(rng, 'patches', jitter(rng, [0.6, 0.58, 0.55], 0.05), jitter(rng, [0.45, 0.43, 0.42], 0.05), 0.5, 1),
      outer: material(rng, 'noise', jitter(rng, [0.25, 0.4, 0.15], 0.05), [0.4, 0.35, 0.2], 0.8, 1),
    },
    objects,
    lighting: {
      ambient: [ambient, ambient, ambient * 1.05],
      sunDirection: [Math.cos(sunElevation) * Math.sin(sunAzimuth), -Math.sin(sunElevation), Math.cos(sunElevation) * Math.cos(sunAzimuth)],
      sunColor: [sun, sun * 0.96, sun * 0.88],
    },
    skyZenith: jitter(rng, [0.35, 0.55, 0.85], 0.08),
    skyHorizon: jitter(rng, [0.8, 0.85, 0.9], 0.05),
    maxDistance: 250,
    fogDistance: rng.uniform(180, 400),
  };
}

export interface RoomOptions {
  /** Probability that each wall is textureless (at least one always is). */
  texturelessWallProbability?: number;
}

/**
 * An indoor room around a camera at the origin looking +z: walls (some TEXTURELESS, flat albedo — the
 * surfaces where photometric losses are blind), textured floor, flat ceiling, furniture (tables, cabinets,
 * sofas, shelves, lamps, balls, pictures). Depth range ~0.5 - 10 m.
 */
export function makeRoomScene(rng: Rng, opts: RoomOptions = {}): Scene {
  const pFlat = opts.texturelessWallProbability ?? 0.5;
  const width = rng.uniform(3.5, 7);
  const depth = rng.uniform(4.5, 9);
  const height = rng.uniform(2.5, 3.2);
  const camHeight = rng.uniform(1.1, 1.6);
  const xLeft = -rng.uniform(0.35, 0.65) * width;
  const zBack = -rng.uniform(0.8, 1.5);
  const min: [number, number, number] = [xLeft, camHeight - height, zBack];
  const max: [number, number, number] = [xLeft + width, camHeight, zBack + depth];
  const paint = (): Rgb => jitter(rng, pick(rng, [[0.85, 0.83, 0.78], [0.7, 0.75, 0.8], [0.8, 0.7, 0.6], [0.6, 0.7, 0.6]] as Rgb[]), 0.05);
  const wall = (): Material => {
    const kind = pick(rng, ['stripes', 'patches', 'noise', 'bricks'] as const);
    return material(rng, kind, paint(), paint(), kind === 'stripes' ? rng.uniform(0.1, 0.3) : kind === 'bricks' ? 0.12 : rng.uniform(0.2, 0.6), rng.uniform(0.5, 1));
  };
  const flat = (): Material => material(rng, 'flat', paint(), [0, 0, 0], 1, 0);
  // Walls: -x, +x, -z (behind, rarely seen), +z (facing). The facing or a side wall is always textureless.
  const walls = [rng.bernoulli(pFlat) ? flat() : wall(), rng.bernoulli(pFlat) ? flat() : wall(), wall(), rng.bernoulli(pFlat) ? flat() : wall()];
  const forced = pick(rng, [0, 1, 3]);
  walls[forced] = flat();
  const floor = rng.bernoulli(0.6)
    ? material(rng, 'planks', jitter(rng, [0.55, 0.38, 0.22], 0.05), [0.35, 0.22, 0.12], rng.uniform(0.12, 0.25), 1)
    : material(rng, 'patches', jitter(rng, [0.7, 0.7, 0.68], 0.05), jitter(rng, [0.5, 0.5, 0.5], 0.1), rng.uniform(0.3, 0.6), 1);
  const ceiling = material(rng, 'flat', [0.92, 0.92, 0.9], [0, 0, 0], 1, 0);

  const objects: SceneObject[] = [];
  const floorY = camHeight;
  const furnitureColour = (): Rgb => jitter(rng, pick(rng, [[0.45, 0.3, 0.18], [0.2, 0.2, 0.22], [0.7, 0.68, 0.62], [0.3, 0.35, 0.5], [0.6, 0.2, 0.15]] as Rgb[]), 0.06);
  const count = rng.int(4, 9);
  for (let k = 0; k < count; k++) {
    const x = rng.uniform(min[0] + 0.6, max[0] - 0.6);
    const z = rng.uniform(1.2, max[2] - 0.6);
    const yaw = rng.bernoulli(0.5) ? 0 : rng.uniform(-0.6, 0.6);
    const col = furnitureColour();
    const kind = rng.int(0, 5);
    if (kind === 0) {
      // Table: top + 4 legs.
      const hw = rng.uniform(0.4, 0.8), hd = rng.uniform(0.3, 0.6), h = rng.uniform(0.7, 0.8);
      const m = material(rng, 'planks', col, jitter(rng, col, 0.1), 0.15, 1);
      objects.push(box([x, floorY - h, z], [hw, 0.03, hd], 0, m));
      for (const [sx, sz] of [[-1, -1], [1, -1], [-1, 1], [1, 1]] as const) {
        objects.push({ type: 'cylinder', x: x + sx * (hw - 0.06), z: z + sz * (hd - 0.06), radius: 0.03, yTop: floorY - h + 0.03, yBottom: floorY, material: m });
      }
    } else if (kind === 1) {
      // Cabinet / shelf.
      const hw = rng.uniform(0.3, 0.7), hd = rng.uniform(0.2, 0.4), hh = rng.uniform(0.4, 1.0);
      objects.push(box([x, floorY - hh, z], [hw, hh, hd], yaw, material(rng, pick(rng, ['planks', 'stripes', 'patches'] as const), col, jitter(rng, col, 0.2), rng.uniform(0.1, 0.3), 1)));
    } else if (kind === 2) {
      // Sofa: seat + back.
      const hw = rng.uniform(0.7, 1.1);
      const m = material(rng, 'noise', col, jitter(rng, col, 0.2), 0.08, 1);
      objects.push(box([x, floorY - 0.22, z], [hw, 0.22, 0.45], yaw, m));
      objects.push(box([x - Math.sin(yaw) * 0.35, floorY - 0.6, z + Math.cos(yaw) * 0.35], [hw, 0.38, 0.1], yaw, m));
    } else if (kind === 3) {
      // Floor lamp: pole + shade sphere.
      const h = rng.uniform(1.2, 1.7);
      objects.push({ type: 'cylinder', x, z, radius: 0.025, yTop: floorY - h, yBottom: floorY, material: material(rng, 'flat', [0.2, 0.2, 0.2], [0, 0, 0], 1, 0) });
      objects.push({ type: 'sphere', center: [x, floorY - h, z], radius: rng.uniform(0.15, 0.25), material: material(rng, 'noise', [0.95, 0.9, 0.75], [0.8, 0.7, 0.5], 0.05, 0.5) });
    } else {
      // Ball / pouf.
      const r = rng.uniform(0.15, 0.35);
      objects.push({ type: 'sphere', center: [x, floorY - r, z], radius: r, material: material(rng, 'stripes', col, jitter(rng, [0.9, 0.9, 0.9], 0.1), rng.uniform(0.05, 0.12), 1) });
    }
  }
  // Pictures on textured and textureless walls alike (a textureless wall keeps most of its area flat).
  for (let k = rng.int(0, 3); k > 0; k--) {
    const pw = rng.uniform(0.25, 0.6), ph = rng.uniform(0.2, 0.45);
    objects.push(box([rng.uniform(min[0] + 0.8, max[0] - 0.8), min[1] + height * rng.uniform(0.3, 0.5), max[2] - 0.02], [pw, ph, 0.02], 0,
      material(rng, 'noise', jitter(rng, [0.5, 0.4, 0.3], 0.2), jitter(rng, [0.2, 0.4, 0.6], 0.2), 0.05, 1)));
  }
  const a = rng.uniform(0.45, 0.65);
  const s = rng.uniform(0.3, 0.55);
  const az = rng.uniform(-Math.PI, Math.PI);
  return {
    room: { type: 'room', min, max, faces: [walls[0]!, walls[1]!, ceiling, floor, walls[2]!, walls[3]!] },
    objects,
    lighting: {
      ambient: [a, a * 0.98, a * 0.95],
      sunDirection: normalise([Math.sin(az) * 0.6, -0.7, Math.cos(az) * 0.6]),
      sunColor: [s, s * 0.95, s * 0.85],
    },
    skyZenith: [0.5, 0.5, 0.5],
    skyHorizon: [0.5, 0.5, 0.5],
    maxDistance: 50,
    fogDistance: 0,
  };
}

function normalise(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

