/**
 * Learning-rate schedules of the references, as pure functions of the step.
 * - piecewise (monodepth v1): lr halved at 3/5 and again at 4/5 of the total steps.
 * - step (monodepth2 StepLR): lr * gamma^floor(epoch / stepSize) — here in steps: floor(step / stepSize).
 * - cosine: lr_min + (lr - lr_min) * (1 + cos(pi * t)) / 2, t = step / total.
 * An optional linear warm-up multiplies the first `warmupSteps` steps by (step + 1) / warmupSteps.
 */
export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'piecewise'; boundaries?: number[]; factors?: number[] }
  | { kind: 'step'; stepSize: number; gamma?: number }
  | { kind: 'cosine'; minLr?: number };

export function learningRateAt(
  step: number,
  totalSteps: number,
  baseLr: number,
  spec: ScheduleSpec,
  warmupSteps = 0,
): number {
  let lr: number;
  switch (spec.kind) {
    case 'constant':
      lr = baseLr;
      break;
    case 'piecewise': {
      // Boundaries as fractions of the run (monodepth: [3/5, 4/5] with factors [1, 0.5, 0.25]).
      const boundaries = spec.boundaries ?? [3 / 5, 4 / 5];
      const factors = spec.factors ?? [1, 0.5, 0.25];
      if (factors.length !== boundaries.length + 1) {
        throw new Error(`piecewise schedule: ${boundaries.length} boundaries need ${boundaries.length + 1} factors, got ${factors.length}`);
      }
      let i = 0;
      while (i < boundaries.length && step >= Math.floor(boundaries[i]! * totalSteps)) i++;
      lr = baseLr * factors[i]!;
      break;
    }
    case 'step':
      lr = baseLr * (spec.gamma ?? 0.1) ** Math.floor(step / spec.stepSize);
      break;
    case 'cosine': {
      const minLr = spec.minLr ?? 0;
      const t = Math.min(1, step / Math.max(1, totalSteps));
      lr = minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
      break;
    }
  }
  if (warmupSteps > 0 && step < warmupSteps) lr *= (step + 1) / warmupSteps;
  return lr;
}
