import { describe, expect, it } from 'vitest';

import { estimateGlobalShift, type GreyImage } from '../../src/geometry/global_motion.js';

/** A smooth textured pattern sampled at (x - dx, y - dy): the same picture translated by (dx, dy). */
function pattern(width: number, height: number, dx: number, dy: number): GreyImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x - dx;
      const v = y - dy;
      data[y * width + x] = 0.5 + 0.25 * Math.sin(u * 0.7 + v * 0.2) + 0.2 * Math.cos(v * 0.9 - u * 0.3) + 0.05 * Math.sin(u * v * 0.01);
    }
  }
  return { data, width, height };
}

describe('estimateGlobalShift', () => {
  it('finds an integer translation (zero cost there, the parabola moves it < 0.005 px)', () => {
    const s = estimateGlobalShift(pattern(40, 24, 0, 0), pattern(40, 24, 3, -2), 5);
    expect(s.dx).toBeCloseTo(3, 2);
    expect(s.dy).toBeCloseTo(-2, 2);
    expect(s.cost).toBeLessThan(1e-6);
  });

  it('refines a sub-pixel translation to within a quarter pixel', () => {
    const s = estimateGlobalShift(pattern(48, 32, 0, 0), pattern(48, 32, -1.4, 0.6), 4);
    expect(Math.abs(s.dx + 1.4)).toBeLessThan(0.25);
    expect(Math.abs(s.dy - 0.6)).toBeLessThan(0.25);
  });

  it('says no motion for identical images and rejects mismatched sizes or a zero search range', () => {
    const a = pattern(32, 20, 0, 0);
    expect(estimateGlobalShift(a, a, 3)).toMatchObject({ dx: 0, dy: 0, cost: 0 });
    expect(() => estimateGlobalShift(a, pattern(30, 20, 0, 0), 3)).toThrow(/differ in size/);
    expect(() => estimateGlobalShift(a, a, 0)).toThrow(/maxShift/);
  });
});
