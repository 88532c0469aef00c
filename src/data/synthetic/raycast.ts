/**
 * Ray-scene intersection for the synthetic renderer: the analytic hits (ground plane with its road layout, room
 * interior, oriented boxes, vertical cylinders, spheres) of one ray, allocation-free on a reused Hit record.
 * Camera axes = world axes (x right, y down, z forward); with ray z = 1 the ray parameter is the depth.
 */
import type { Material } from './texture.js';
import type { Box, Cylinder, Scene, Sphere } from './scene.js';

export const NO_HIT = -1;
export const HIT_GROUND = -2;
export const HIT_ROOM = -3;

/** Scratch record of the nearest hit (reused; never allocated per pixel). */
export interface Hit {
  t: number;
  id: number;
  /** Face / part index inside the object (box face 0..5, cylinder side 0 / caps 1,2, sphere 0). */
  part: number;
  nx: number;
  ny: number;
  nz: number;
  /** Texture coordinates (m). */
  s: number;
  u: number;
  material: Material | null;
}

export function newHit(): Hit {
  return { t: Infinity, id: NO_HIT, part: 0, nx: 0, ny: 0, nz: 0, s: 0, u: 0, material: null };
}

/** Scene objects with precomputed rotation terms and world-space bounds. */
export interface Prepared {
  scene: Scene;
  cosYaw: Float64Array;
  sinYaw: Float64Array;
  /** World AABB per object: minx,miny,minz,maxx,maxy,maxz. */
  bounds: Float64Array;
}

export function prepare(scene: Scene): Prepared {
  const n = scene.objects.length;
  const cosYaw = new Float64Array(n);
  const sinYaw = new Float64Array(n);
  const bounds = new Float64Array(n * 6);
  scene.objects.forEach((o, i) => {
    let minx: number, miny: number, minz: number, maxx: number, maxy: number, maxz: number;
    if (o.type === 'box') {
      const c = Math.cos(o.yaw);
      const s = Math.sin(o.yaw);
      cosYaw[i] = c;
      sinYaw[i] = s;
      const ex = Math.abs(c) * o.half[0] + Math.abs(s) * o.half[2];
      const ez = Math.abs(s) * o.half[0] + Math.abs(c) * o.half[2];
      minx = o.center[0] - ex;
      maxx = o.center[0] + ex;
      miny = o.center[1] - o.half[1];
      maxy = o.center[1] + o.half[1];
      minz = o.center[2] - ez;
      maxz = o.center[2] + ez;
    } else if (o.type === 'cylinder') {
      minx = o.x - o.radius;
      maxx = o.x + o.radius;
      miny = o.yTop;
      maxy = o.yBottom;
      minz = o.z - o.radius;
      maxz = o.z + o.radius;
    } else {
      minx = o.center[0] - o.radius;
      maxx = o.center[0] + o.radius;
      miny = o.center[1] - o.radius;
      maxy = o.center[1] + o.radius;
      minz = o.center[2] - o.radius;
      maxz = o.center[2] + o.radius;
    }
    bounds.set([minx, miny, minz, maxx, maxy, maxz], i * 6);
  });
  return { scene, cosYaw, sinYaw, bounds };
}

function intersectBox(o: Box, c: number, s: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, hit: Hit, id: number): void {
  // World -> local: translate, rotate by -yaw about y (local = R^T (p - centre), R = [[c,0,s],[0,1,0],[-s,0,c]]).
  const px = ox - o.center[0];
  const py = oy - o.center[1];
  const pz = oz - o.center[2];
  const lox = c * px - s * pz;
  const loz = s * px + c * pz;
  const ldx = c * dx - s * dz;
  const ldz = s * dx + c * dz;
  // Slab test, unrolled per axis (no per-ray allocation).
  const hx0 = o.half[0], hy0 = o.half[1], hz0 = o.half[2];
  let tNear = -Infinity;
  let tFar = Infinity;
  let face = -1;
  if (Math.abs(ldx) < 1e-12) {
    if (lox < -hx0 || lox > hx0) return;
  } else {
    const inv = 1 / ldx;
    const t1 = (-hx0 - lox) * inv;
    const t2 = (hx0 - lox) * inv;
    if (t1 < t2) {
      tNear = t1; face = 0; tFar = t2;
    } else {
      tNear = t2; face = 1; tFar = t1;
    }
  }
  if (Math.abs(dy) < 1e-12) {
    if (py < -hy0 || py > hy0) return;
  } else {
    const inv = 1 / dy;
    const t1 = (-hy0 - py) * inv;
    const t2 = (hy0 - py) * inv;
    const tn = t1 < t2 ? t1 : t2;
    const tf = t1 < t2 ? t2 : t1;
    if (tn > tNear) {
      tNear = tn; face = t1 < t2 ? 2 : 3;
    }
    if (tf < tFar) tFar = tf;
    if (tNear > tFar) return;
  }
  if (Math.abs(ldz) < 1e-12) {
    if (loz < -hz0 || loz > hz0) return;
  } else {
    const inv = 1 / ldz;
    const t1 = (-hz0 - loz) * inv;
    const t2 = (hz0 - loz) * inv;
    const tn = t1 < t2 ? t1 : t2;
    const tf = t1 < t2 ? t2 : t1;
    if (tn > tNear) {
      tNear = tn; face = t1 < t2 ? 4 : 5;
    }
    if (tf < tFar) tFar = tf;
    if (tNear > tFar) return;
  }
  if (tNear <= 1e-6 || tNear >= hit.t) return;
  hit.t = tNear;
  hit.id = id;
  hit.part = face;
  const axis = face >> 1;
  const sign = face & 1 ? 1 : -1;
  const lnx = axis === 0 ? sign : 0;
  const lny = axis === 1 ? sign : 0;
  const lnz = axis === 2 ? sign : 0;
  hit.nx = c * lnx + s * lnz;
  hit.ny = lny;
  hit.nz = -s * lnx + c * lnz;
  // Texture coordinates from the local hit point, offset so the pattern starts at the box corner.
  const hx = lox + tNear * ldx + o.half[0];
  const hy = py + tNear * dy + o.half[1];
  const hz = loz + tNear * ldz + o.half[2];
  if (axis === 0) {
    hit.s = hz;
    hit.u = hy;
  } else if (axis === 1) {
    hit.s = hx;
    hit.u = hz;
  } else {
    hit.s = hx;
    hit.u = hy;
  }
  hit.material = o.material;
}

function intersectCylinder(o: Cylinder, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, hit: Hit, id: number): void {
  const px = ox - o.x;
  const pz = oz - o.z;
  const a = dx * dx + dz * dz;
  if (a > 1e-12) {
    const b = px * dx + pz * dz;
    const cc = px * px + pz * pz - o.radius * o.radius;
    const disc = b * b - a * cc;
    if (disc >= 0) {
      const t = (-b - Math.sqrt(disc)) / a;
      if (t > 1e-6 && t < hit.t) {
        const y = oy + t * dy;
        if (y >= o.yTop && y <= o.yBottom) {
          const hx = px + t * dx;
          const hz = pz + t * dz;
          hit.t = t;
          hit.id = id;
          hit.part = 0;
          hit.nx = hx / o.radius;
          hit.ny = 0;
          hit.nz = hz / o.radius;
          hit.s = Math.atan2(hz, hx) * o.radius;
          hit.u = y;
          hit.material = o.material;
        }
      }
    }
  }
  // Caps (top is seen from above, bottom from below).
  if (Math.abs(dy) > 1e-12) {
    const capY = dy > 0 ? o.yTop : o.yBottom;
    const t = (capY - oy) / dy;
    if (t > 1e-6 && t < hit.t) {
      const hx = px + t * dx;
      const hz = pz + t * dz;
      if (hx * hx + hz * hz <= o.radius * o.radius) {
        hit.t = t;
        hit.id = id;
        hit.part = dy > 0 ? 1 : 2;
        hit.nx = 0;
        hit.ny = dy > 0 ? -1 : 1;
        hit.nz = 0;
        hit.s = hx;
        hit.u = hz;
        hit.material = o.material;
      }
    }
  }
}

function intersectSphere(o: Sphere, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, hit: Hit, id: number): void {
  const px = ox - o.center[0];
  const py = oy - o.center[1];
  const pz = oz - o.center[2];
  const a = dx * dx + dy * dy + dz * dz;
  const b = px * dx + py * dy + pz * dz;
  const c = px * px + py * py + pz * pz - o.radius * o.radius;
  const disc = b * b - a * c;
  if (disc < 0) return;
  const t = (-b - Math.sqrt(disc)) / a;
  if (t <= 1e-6 || t >= hit.t) return;
  const hx = px + t * dx;
  const hy = py + t * dy;
  const hz = pz + t * dz;
  hit.t = t;
  hit.id = id;
  hit.part = 0;
  hit.nx = hx / o.radius;
  hit.ny = hy / o.radius;
  hit.nz = hz / o.radius;
  hit.s = Math.atan2(hz, hx) * o.radius;
  hit.u = hy;
  hit.material = o.material;
}

/** Nearest hit of the ray o + t d (t > 0) among the ground, the room and the listed objects. */
export function trace(p: Prepared, candidates: Int32Array, count: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, hit: Hit): void {
  hit.t = Infinity;
  hit.id = NO_HIT;
  hit.material = null;
  const scene = p.scene;
  const ground = scene.ground;
  if (ground && dy > 1e-12) {
    const t = (ground.y - oy) / dy;
    if (t > 1e-6) {
      hit.t = t;
      hit.id = HIT_GROUND;
      hit.part = 0;
      hit.nx = 0;
      hit.ny = -1;
      hit.nz = 0;
      hit.s = ox + t * dx;
      hit.u = oz + t * dz;
      hit.material = groundMaterial(ground, hit.s, hit.u);
    }
  }
  const room = scene.room;
  if (room) {
    // From inside, the exit face along each axis; the nearest exit is the wall seen.
    let best = Infinity;
    let face = -1;
    for (let a = 0; a < 3; a++) {
      const da = a === 0 ? dx : a === 1 ? dy : dz;
      const oa = a === 0 ? ox : a === 1 ? oy : oz;
      if (Math.abs(da) < 1e-12) continue;
      const t = da > 0 ? (room.max[a]! - oa) / da : (room.min[a]! - oa) / da;
      if (t > 1e-6 && t < best) {
        best = t;
        face = a * 2 + (da > 0 ? 1 : 0);
      }
    }
    if (face >= 0 && best < hit.t) {
      hit.t = best;
      hit.id = HIT_ROOM;
      hit.part = face;
      const axis = face >> 1;
      const inward = face & 1 ? -1 : 1;
      hit.nx = axis === 0 ? inward : 0;
      hit.ny = axis === 1 ? inward : 0;
      hit.nz = axis === 2 ? inward : 0;
      const hx = ox + best * dx - room.min[0];
      const hy = oy + best * dy - room.min[1];
      const hz = oz + best * dz - room.min[2];
      if (axis === 0) {
        hit.s = hz;
        hit.u = hy;
      } else if (axis === 1) {
        hit.s = hx;
        hit.u = hz;
      } else {
        hit.s = hx;
        hit.u = hy;
      }
      hit.material = room.faces[face]!;
    }
  }
  const objects = scene.objects;
  for (let k = 0; k < count; k++) {
    const i = candidates[k]!;
    const o = objects[i]!;
    if (o.type === 'box') intersectBox(o, p.cosYaw[i]!, p.sinYaw[i]!, ox, oy, oz, dx, dy, dz, hit, i);
    else if (o.type === 'cylinder') intersectCylinder(o, ox, oy, oz, dx, dy, dz, hit, i);
    else intersectSphere(o, ox, oy, oz, dx, dy, dz, hit, i);
  }
}

/** Road layout on the ground: asphalt, dashed centre line and solid edge lines, sidewalk, outer (grass/dirt). */
function groundMaterial(g: NonNullable<Scene['ground']>, x: number, z: number): Material {
  const ax = Math.abs(x);
  if (ax < g.roadHalfWidth) {
    const centreDash = ax < 0.08 && z - 6 * Math.floor(z / 6) < 3;
    const edgeLine = Math.abs(ax - (g.roadHalfWidth - 0.3)) < 0.08;
    return centreDash || edgeLine ? g.marking : g.road;
  }
  return ax < g.sidewalkHalfWidth ? g.sidewalk : g.outer;
}
