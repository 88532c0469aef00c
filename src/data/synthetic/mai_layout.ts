/**
 * The MAI 2021 depth-challenge layout written by `synth --world mai` (ANCHORS §5.5): `<subset>/rgb/<name>.png` and
 * `<subset>/depth/<name>.png` with the same file name, depth as a 16-bit grey PNG in millimetres, 0 = invalid. Subsets are
 * `train` and `validation` like the challenge data, plus `test` (held-out scenes; the real test GT is not public).
 * Depth beyond the ZED's 50 m range (and sky) is written as 0.
 */
import type { SceneEntry, SplitName } from './layout.js';

export const MAI_SUBSET: Record<SplitName, string> = { train: 'train', val: 'validation', test: 'test' };
/** Farthest depth the capture rig reports (m); farther surfaces are invalid (0). */
export const MAI_MAX_DEPTH_M = 50;

const pad4 = (n: number): string => String(n).padStart(4, '0');

/** Relative paths of one frame: its RGB and its depth PNG. */
export function maiFrameFiles(scene: SceneEntry, frame: number): { rgb: string; depth: string } {
  const name = `${scene.name}_${pad4(frame)}.png`;
  const subset = MAI_SUBSET[scene.split];
  return { rgb: `${subset}/rgb/${name}`, depth: `${subset}/depth/${name}` };
}

/** Metres -> uint16 millimetres (rounded), 0 for invalid, sky and anything beyond the rig's range. */
export function depthToMaiMillimetres(depth: Float32Array): Uint16Array {
  const out = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i]!;
    out[i] = d > 0 && d <= MAI_MAX_DEPTH_M ? Math.min(65535, Math.round(d * 1000)) : 0;
  }
  return out;
}
