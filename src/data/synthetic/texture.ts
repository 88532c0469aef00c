/**
 * Procedural textures of the synthetic world. They exist to give photometric losses a signal: multi-octave
 * value noise, stripes, bricks/windows, random patches — and `flat` (textureless) surfaces on purpose, where a
 * photometric loss is blind (the DistDepth experiment measures exactly those pixels).
 * Texture coordinates are in metres on the surface, so the texture scale is physical and both views of a pair
 * see the same texel at the same surface point (what makes the stereo warp exact).
 */

export type Rgb = [number, number, number];

export type TextureKind =
  | 'flat'
  | 'noise'
  | 'stripes'
  | 'bricks'
  | 'windows'
  | 'patches'
  | 'asphalt'
  | 'planks';

export interface Material {
  kind: TextureKind;
  /** Base albedo, linear [0,1]. */
  color: Rgb;
  /** Second colour (mortar, stripe, window glass...). */
  color2: Rgb;
  /** Feature size in metres (noise wavelength, brick height, stripe period...). */
  scale: number;
  /** Per-object hash seed so two objects with the same kind do not share a pattern. */
  seed: number;
  /** How much noise modulates the albedo (0 = none). */
  contrast: number;
}

/** Integer lattice hash -> [0,1). A small avalanche hash (xorshift-multiply), fast and allocation-free. */
export function latticeHash(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix | 0, 0x27d4eb2d) ^ Math.imul(iy | 0, 0x165667b1) ^ Math.imul(seed | 0, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Bilinearly interpolated value noise with a smoothstep fade, in [0,1). */
export function valueNoise(x: number, y: number, seed: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  let tx = x - fx;
  let ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const a = latticeHash(fx, fy, seed);
  const b = latticeHash(fx + 1, fy, seed);
  const c = latticeHash(fx, fy + 1, seed);
  const d = latticeHash(fx + 1, fy + 1, seed);
  const top = a + (b - a) * tx;
  const bottom = c + (d - c) * tx;
  return top + (bottom - top) * ty;
}

/** Fractal (multi-octave) value noise, amplitude halving per octave, normalised to [0,1). */
export function fbm(x: number, y: number, seed: number, octaves: number): number {
  let sum = 0;
  let amp = 1;
  let norm = 0;
  let freq = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amp * valueNoise(x * freq, y * freq, seed + o * 1013);
    norm += amp;
    amp *= 0.5;
    freq *= 2.03;
  }
  return sum / norm;
}

/**
 * Albedo of `material` at surface coordinates (s, t) in metres, written into out[0..2].
 * `detail` in (0,1] lowers the octave count for far/grazing samples (cheap anti-aliasing of the noise).
 */
export function sampleAlbedo(material: Material, s: number, t: number, out: Float32Array, detail = 1): void {
  const { color, color2, scale, seed, contrast } = material;
  let mix = 0; // 0 -> color, 1 -> color2
  let shade = 1;
  const octaves = detail >= 0.5 ? 4 : detail >= 0.2 ? 3 : 2;
  switch (material.kind) {
    case 'flat':
      break;
    case 'noise': {
      const n = fbm(s / scale, t / scale, seed, octaves);
      mix = Math.min(1, Math.max(0, (n - 0.3) * 1.6));
      break;
    }
    case 'asphalt': {
      shade = 0.75 + 0.5 * fbm(s / scale, t / scale, seed, octaves);
      break;
    }
    case 'stripes': {
      const phase = s / scale - Math.floor(s / scale);
      mix = phase < 0.5 ? 0 : 1;
      shade = 0.85 + 0.3 * valueNoise(s * 3, t * 3, seed);
      break;
    }
    case 'bricks': {
      const row = Math.floor(t / scale);
      const u = s / (2 * scale) + (row & 1) * 0.5;
      const fu = u - Math.floor(u);
      const fv = t / scale - row;
      const mortar = fu < 0.06 || fv < 0.1;
      mix = mortar ? 1 : 0;
      shade = mortar ? 1 : 0.8 + 0.4 * latticeHash(Math.floor(u), row, seed);
      break;
    }
    case 'windows': {
      // Facade: window grid (color2) on a noisy wall (color). Period = scale, window fills the middle.
      const u = s / scale;
      const v = t / (scale * 1.2);
      const fu = u - Math.floor(u);
      const fv = v - Math.floor(v);
      const isWindow = fu > 0.25 && fu < 0.75 && fv > 0.2 && fv < 0.7;
      mix = isWindow ? 1 : 0;
      shade = isWindow
        ? 0.6 + 0.8 * latticeHash(Math.floor(u), Math.floor(v), seed)
        : 0.8 + 0.35 * fbm(s * 2, t * 2, seed, octaves - 1);
      break;
    }
    case 'patches': {
      const cu = Math.floor(s / scale);
      const cv = Math.floor(t / scale);
      mix = latticeHash(cu, cv, seed);
      shade = 0.85 + 0.3 * valueNoise(s / (scale * 0.25), t / (scale * 0.25), seed + 7);
      break;
    }
    case 'planks': {
      const plank = Math.floor(s / scale);
      const grain = fbm(s * 8, t / scale, seed + plank, Math.max(1, octaves - 1));
      mix = latticeHash(plank, 0, seed) * 0.6;
      shade = 0.75 + 0.45 * grain;
      if (s / scale - plank < 0.04) shade *= 0.5;
      break;
    }
  }
  const m = contrast;
  // Contrast blends the pattern towards the base colour, so one knob tunes how much signal a surface gives.
  const r = color[0] + (color2[0] - color[0]) * mix * m;
  const g = color[1] + (color2[1] - color[1]) * mix * m;
  const b = color[2] + (color2[2] - color[2]) * mix * m;
  const k = 1 + (shade - 1) * m;
  out[0] = r * k;
  out[1] = g * k;
  out[2] = b * k;
}
