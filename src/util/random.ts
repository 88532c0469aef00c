import seedrandom from 'seedrandom';

/** Serialisable generator state (ARC4), JSON-safe. */
export type RngState = seedrandom.State.Arc4;

/**
 * The one source of randomness of a run: a seeded generator whose state can be saved in a checkpoint
 * and restored, so the same seed and config give the same batches, augmentation draws and weights.
 */
export class Rng {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  constructor(seed: string | number, state?: RngState) {
    this.prng = state
      ? seedrandom('', { state: structuredClone(state) })
      : seedrandom(String(seed), { state: true });
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.prng();
  }

  /** Integer uniform in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.prng());
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.prng() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.prng();
    const v = this.prng();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** A new independent generator derived from this one's stream (for workers / sub-systems). */
  fork(label: string): Rng {
    return new Rng(`${label}:${Math.floor(this.prng() * 2 ** 32)}`);
  }

  /** Serialisable state; pass it back to the constructor to continue the same stream. */
  state(): RngState {
    return this.prng.state();
  }
}
