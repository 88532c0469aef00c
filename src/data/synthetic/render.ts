/**
 * Ray-casting renderer of the synthetic world: analytic intersections (ground plane, room interior, oriented
 * boxes, vertical cylinders, spheres), procedural textures, ambient + directional Lambertian shading, fog, sky.
 * Pure TypeScript on typed arrays, no per-pixel allocation; per-view screen tiles list only the objects whose
 * projected bounds cover them, so a ray tests a handful of objects.
 *
 * Conventions (see scene.ts): camera axes = world axes (x right, y down, z forward); pixel (u, v) has its
 * centre at integer coordinates (K convention of KITTI/OpenCV: u = fx * X/Z + cx), ray = ((u-cx)/fx, (v-cy)/fy, 1),
 * so the ray parameter IS the depth z. GT depth is taken at the pixel centre; colour is the mean of s x s
 * sub-samples (supersampling). Sky pixels have depth 0 and disparity 0 (invalid).
 */
import type { FloatMap, RgbImage } from '../types.js';
import { sampleAlbedo } from './texture.js';
import type { Scene, StereoRig } from './scene.js';
import { NO_HIT, newHit, prepare, trace, type Hit, type Prepared } from './raycast.js';

const TILE = 16;

/** Screen rectangle [u0,v0,u1,v1] covered by an AABB seen from camera origin o; null if fully behind. */
function projectBounds(b: Float64Array, i: number, ox: number, oy: number, oz: number, rig: StereoRig, out: Float64Array): boolean {
  let u0 = Infinity, v0 = Infinity, u1 = -Infinity, v1 = -Infinity;
  let behind = 0;
  for (let k = 0; k < 8; k++) {
    const x = b[i * 6 + (k & 1 ? 3 : 0)]! - ox;
    const y = b[i * 6 + 1 + (k & 2 ? 3 : 0)]! - oy;
    const z = b[i * 6 + 2 + (k & 4 ? 3 : 0)]! - oz;
    if (z <= 0.05) {
      behind++;
      continue;
    }
    const u = (rig.fx * x) / z + rig.cx;
    const v = (rig.fy * y) / z + rig.cy;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  if (behind === 8) return false;
  if (behind > 0) {
    // The box straddles the camera plane: its projection is unbounded, cover the whole screen.
    u0 = -Infinity;
    v0 = -Infinity;
    u1 = Infinity;
    v1 = Infinity;
  }
  out[0] = u0;
  out[1] = v0;
  out[2] = u1;
  out[3] = v1;
  return true;
}

/** Per-tile candidate lists for one camera: tileStart/tileCount index into a flat Int32Array. */
function buildTiles(p: Prepared, rig: StereoRig, ox: number, oy: number, oz: number) {
  const tilesX = Math.ceil(rig.width / TILE);
  const tilesY = Math.ceil(rig.height / TILE);
  const n = p.scene.objects.length;
  const lists: number[][] = Array.from({ length: tilesX * tilesY }, () => []);
  const rect = new Float64Array(4);
  const margin = 1; // sub-samples reach +-0.5 px
  for (let i = 0; i < n; i++) {
    if (!projectBounds(p.bounds, i, ox, oy, oz, rig, rect)) continue;
    const tx0 = Math.max(0, Math.floor((rect[0]! - margin) / TILE));
    const ty0 = Math.max(0, Math.floor((rect[1]! - margin) / TILE));
    const tx1 = Math.min(tilesX - 1, Math.floor((rect[2]! + margin) / TILE));
    const ty1 = Math.min(tilesY - 1, Math.floor((rect[3]! + margin) / TILE));
    for (let ty = ty0; ty <= ty1; ty++) for (let tx = tx0; tx <= tx1; tx++) lists[ty * tilesX + tx]!.push(i);
  }
  const start = new Int32Array(lists.length);
  const count = new Int32Array(lists.length);
  let total = 0;
  lists.forEach((l, k) => {
    start[k] = total;
    count[k] = l.length;
    total += l.length;
  });
  const flat = new Int32Array(Math.max(1, total));
  lists.forEach((l, k) => flat.set(l, start[k]!));
  return { tilesX, start, count, flat };
}

/** Shaded colour of the current hit (or sky), written to out[0..2]. */
function shade(scene: Scene, hit: Hit, dx: number, dy: number, dz: number, footprint: number, albedo: Float32Array, out: Float32Array): void {
  if (hit.id === NO_HIT || hit.t * dz > scene.maxDistance) {
    skyColour(scene, dx, dy, dz, out);
    return;
  }
  const m = hit.material!;
  sampleAlbedo(m, hit.s, hit.u, albedo, m.scale / (footprint * 8));
  const L = scene.lighting;
  const ndl = Math.max(0, hit.nx * L.sunDirection[0] + hit.ny * L.sunDirection[1] + hit.nz * L.sunDirection[2]);
  let r = albedo[0]! * (L.ambient[0] + L.sunColor[0] * ndl);
  let g = albedo[1]! * (L.ambient[1] + L.sunColor[1] * ndl);
  let b = albedo[2]! * (L.ambient[2] + L.sunColor[2] * ndl);
  if (scene.fogDistance > 0) {
    const f = Math.exp(-(hit.t * dz) / scene.fogDistance);
    r = r * f + scene.skyHorizon[0] * (1 - f);
    g = g * f + scene.skyHorizon[1] * (1 - f);
    b = b * f + scene.skyHorizon[2] * (1 - f);
  }
  out[0] = r;
  out[1] = g;
  out[2] = b;
}

/** Sky colour from the ray direction only (same in both views: zero disparity). */
function skyColour(scene: Scene, dx: number, dy: number, dz: number, out: Float32Array): void {
  const len = Math.sqrt(dx * dx + dy * dy + dz * dz);
  const elevation = Math.min(1, Math.max(0, (-dy / len) * 2.5));
  for (let c = 0; c < 3; c++) out[c] = scene.skyHorizon[c]! + (scene.skyZenith[c]! - scene.skyHorizon[c]!) * elevation;
}

export interface RenderOptions {
  /** Left camera position in the world (m). Default origin. The right camera is +baseline along x. */
  position?: [number, number, number];
  /** Sub-samples per axis for colour (1 = none, 2 = 2x2). Depth is always the pixel centre's. Default 1. */
  supersample?: number;
  /** Also render the right view's depth. Default true. */
  rightDepth?: boolean;
}

export interface RenderedView {
  image: RgbImage;
  /** z depth (m) at the pixel centre, 0 = sky / invalid. */
  depth: FloatMap;
  /** 1 where the pixel centre sees a textureless (`flat`) surface. */
  textureless: Uint8Array;
}

export interface RenderedPair {
  left: RgbImage;
  right: RgbImage;
  /** Left-view z depth (m), 0 = sky (invalid). */
  depth: FloatMap;
  /** Left-view disparity in pixels, d = fx * baseline / z; 0 where depth is invalid. */
  disparity: FloatMap;
  rightDepth?: FloatMap;
  /** Left-view mask (1 = textureless surface at the pixel centre). */
  textureless: Uint8Array;
}

/** Renders one view of `scene` from camera origin (ox, oy, oz). */
export function renderView(scene: Scene, rig: StereoRig, origin: [number, number, number], supersample = 1, prepared?: Prepared): RenderedView {
  const p = prepared ?? prepare(scene);
  const [ox, oy, oz] = origin;
  const { width: W, height: H, fx, fy, cx, cy } = rig;
  const tiles = buildTiles(p, rig, ox, oy, oz);
  const rgb = new Uint8Array(W * H * 3);
  const depth = new Float32Array(W * H);
  const textureless = new Uint8Array(W * H);
  const hit = newHit();
  const albedo = new Float32Array(3);
  const colour = new Float32Array(3);
  const s = Math.max(1, Math.floor(supersample));
  const invS2 = 1 / (s * s);
  for (let v = 0; v < H; v++) {
    const tileRow = (v / TILE) | 0;
    for (let u = 0; u < W; u++) {
      const tile = tileRow * tiles.tilesX + ((u / TILE) | 0);
      const start = tiles.start[tile]!;
      const count = tiles.count[tile]!;
      const cand = tiles.flat.subarray(start, start + count);
      const pix = v * W + u;
      // Pixel centre: depth (and colour when s == 1).
      let dx = (u - cx) / fx;
      let dy = (v - cy) / fy;
      trace(p, cand, count, ox, oy, oz, dx, dy, 1, hit);
      const valid = hit.id !== NO_HIT && hit.t <= scene.maxDistance;
      depth[pix] = valid ? hit.t : 0;
      textureless[pix] = valid && hit.material!.kind === 'flat' ? 1 : 0;
      let r = 0, g = 0, b = 0;
      if (s === 1) {
        shade(scene, hit, dx, dy, 1, hit.t / fx, albedo, colour);
        r = colour[0]!;
        g = colour[1]!;
        b = colour[2]!;
      } else {
        for (let j = 0; j < s; j++) {
          dy = (v - 0.5 + (j + 0.5) / s - cy) / fy;
          for (let i = 0; i < s; i++) {
            dx = (u - 0.5 + (i + 0.5) / s - cx) / fx;
            trace(p, cand, count, ox, oy, oz, dx, dy, 1, hit);
            shade(scene, hit, dx, dy, 1, hit.t / fx, albedo, colour);
            r += colour[0]!;
            g += colour[1]!;
            b += colour[2]!;
          }
        }
        r *= invS2;
        g *= invS2;
        b *= invS2;
      }
      rgb[pix * 3] = toByte(r);
      rgb[pix * 3 + 1] = toByte(g);
      rgb[pix * 3 + 2] = toByte(b);
    }
  }
  return {
    image: { data: rgb, width: W, height: H, channels: 3 },
    depth: { data: depth, width: W, height: H },
    textureless,
  };
}

function toByte(x: number): number {
  const v = Math.round(x * 255);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Renders both views of a rectified pair from the same scene, plus the exact left depth and disparity.
 * Disparity d = fx * baseline / z (pixels of this render size); u_right = u_left - d.
 */
export function renderStereoPair(scene: Scene, rig: StereoRig, options: RenderOptions = {}): RenderedPair {
  const prepared = prepare(scene);
  const [x, y, z] = options.position ?? [0, 0, 0];
  const ss = options.supersample ?? 1;
  const left = renderView(scene, rig, [x, y, z], ss, prepared);
  const right = renderView(scene, rig, [x + rig.baseline, y, z], ss, prepared);
  const disparity = new Float32Array(left.depth.data.length);
  const fb = rig.fx * rig.baseline;
  for (let i = 0; i < disparity.length; i++) {
    const d = left.depth.data[i]!;
    disparity[i] = d > 0 ? fb / d : 0;
  }
  return {
    left: left.image,
    right: right.image,
    depth: left.depth,
    disparity: { data: disparity, width: rig.width, height: rig.height },
    rightDepth: options.rightDepth === false ? undefined : right.depth,
    textureless: left.textureless,
  };
}

/**
 * Casts rays (unit directions) from one origin against the scene, e.g. a lidar. Returns the range along each
 * ray (0 = no return within maxRange) and the albedo luminance at the hit.
 * If `azimuthColumns` is given, the rays are laid out column by column of a spinning sensor — column c holds
 * rays [c * perColumn, (c + 1) * perColumn) at azimuth 2 pi c / columns, azimuth = atan2(-x, z) (velodyne:
 * counter-clockwise from forward) — and each column only tests the objects whose azimuth span covers it.
 */
export function castRays(scene: Scene, origin: [number, number, number], directions: Float32Array, maxRange: number, azimuthColumns = 0): { range: Float32Array; albedo: Float32Array } {
  const p = prepare(scene);
  const [ox, oy, oz] = origin;
  const b = p.bounds;
  const n = directions.length / 3;
  const columns = azimuthColumns > 0 ? azimuthColumns : 1;
  const perColumn = Math.ceil(n / columns);
  // Objects whose bounds come within maxRange of the origin, binned by the azimuth columns they span.
  const bins: number[][] = Array.from({ length: columns }, () => []);
  for (let i = 0; i < scene.objects.length; i++) {
    const ddx = Math.max(b[i * 6]! - ox, 0, ox - b[i * 6 + 3]!);
    const ddy = Math.max(b[i * 6 + 1]! - oy, 0, oy - b[i * 6 + 4]!);
    const ddz = Math.max(b[i * 6 + 2]! - oz, 0, oz - b[i * 6 + 5]!);
    if (ddx * ddx + ddy * ddy + ddz * ddz > maxRange * maxRange) continue;
    const inside = ddx === 0 && ddz === 0;
    if (columns === 1 || inside) {
      for (const bin of bins) bin.push(i);
      continue;
    }
    const cxz = [(b[i * 6]! + b[i * 6 + 3]!) / 2 - ox, (b[i * 6 + 2]! + b[i * 6 + 5]!) / 2 - oz];
    const centre = Math.atan2(-cxz[0]!, cxz[1]!);
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < 4; k++) {
      const x = b[i * 6 + (k & 1 ? 3 : 0)]! - ox;
      const z = b[i * 6 + 2 + (k & 2 ? 3 : 0)]! - oz;
      let d = Math.atan2(-x, z) - centre;
      d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    const step = (2 * Math.PI) / columns;
    const c0 = Math.floor((centre + lo) / step) - 1;
    const c1 = Math.ceil((centre + hi) / step) + 1;
    for (let c = c0; c <= c1; c++) bins[((c % columns) + columns) % columns]!.push(i);
  }
  const range = new Float32Array(n);
  const albedoOut = new Float32Array(n);
  const hit = newHit();
  const alb = new Float32Array(3);
  for (let col = 0; col < columns; col++) {
    const cand = Int32Array.from(bins[col]!);
    const end = Math.min(n, (col + 1) * perColumn);
    for (let k = col * perColumn; k < end; k++) {
      const dx = directions[k * 3]!;
      const dy = directions[k * 3 + 1]!;
      const dz = directions[k * 3 + 2]!;
      trace(p, cand, cand.length, ox, oy, oz, dx, dy, dz, hit);
      if (hit.id === NO_HIT || hit.t > maxRange) continue;
      range[k] = hit.t;
      sampleAlbedo(hit.material!, hit.s, hit.u, alb, 0.1);
      albedoOut[k] = 0.299 * alb[0]! + 0.587 * alb[1]! + 0.114 * alb[2]!;
    }
  }
  return { range, albedo: albedoOut };
}
