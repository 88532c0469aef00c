/**
 * Named loss presets, so a config file can select a reference behaviour by name (`loss.preset: monodepth2`) and override
 * single keys. Every convention that differs between the references is a key of these option objects, never a silent choice.
 */
import { DISTDEPTH_PRESET, type DistDepthLossOptions } from './distill.js';
import { MONODEPTH_PRESET, type MonodepthLossOptions } from './monodepth.js';
import { DISTDEPTH_SELF_SUPERVISED_PRESET, MONODEPTH2_AS_WRITTEN_PRESET, MONODEPTH2_PRESET, type Monodepth2LossOptions } from './monodepth2.js';

export const MONODEPTH_LOSS_PRESETS: Record<string, MonodepthLossOptions> = { monodepth: MONODEPTH_PRESET };
export const MONODEPTH2_LOSS_PRESETS: Record<string, Monodepth2LossOptions> = {
  /** as it runs on PyTorch >= 1.3 (grid_sample align_corners=False) */
  monodepth2: MONODEPTH2_PRESET,
  /** as written for PyTorch 0.4.1 (align_corners=True) */
  monodepth2_as_written: MONODEPTH2_AS_WRITTEN_PRESET,
  distdepth_self_supervised: DISTDEPTH_SELF_SUPERVISED_PRESET,
};
export const DISTDEPTH_LOSS_PRESETS: Record<string, DistDepthLossOptions> = { distdepth: DISTDEPTH_PRESET };

/** Looks a preset up by name; the error lists the known names. */
export function lossPreset<T>(table: Record<string, T>, name: string, what = 'loss preset'): T {
  const preset = table[name];
  if (!preset) throw new Error(`unknown ${what} '${name}'; expected one of: ${Object.keys(table).join(', ')}`);
  return preset;
}
