import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { planStages } from '../../src/run/recipe.js';
import { repoRoot } from '../io/shared.js';

describe('recipes from the library (no CLI)', () => {
  it('city2eigen plans two stages in their own directories; stage 2 starts from stage 1 with its own dataset', () => {
    const loaded = loadConfig(join(repoRoot, 'configs/synthetic/city2eigen.yaml'));
    const stages = planStages(loaded, '/runs/c2e');
    expect(stages.map((s) => [s.name, s.run_dir, s.data.train.dataset])).toEqual([
      ['cityscapes', '/runs/c2e/cityscapes', 'cityscapes'],
      ['eigen', '/runs/c2e/eigen', 'kitti_raw'],
    ]);
    expect(stages[0]!.init).toBeNull();
    expect(stages[1]!.init).toEqual({ checkpoint: '/runs/c2e/cityscapes', models: ['encoder', 'depth'] });
    // the KITTI stage does not inherit Cityscapes' adapter options
    expect(stages[1]!.data.train.options).not.toHaveProperty('cropBottomFraction');
  });

  it('a recipe without stages is one run in the run directory', () => {
    const stages = planStages(loadConfig(join(repoRoot, 'configs/synthetic/tiny.yaml')), '/runs/t');
    expect(stages.map((s) => [s.name, s.run_dir, s.init])).toEqual([['tiny', '/runs/t', null]]);
  });
});
