import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.js';
import { synthCommand } from './synth.js';
import { evalCommand } from './eval.js';
import { exportGtCommand } from './export_gt.js';
import { infoCommand } from './info.js';
import { trainCommand } from './train.js';
import { testCommand } from './test.js';
import { predictCommand } from './predict.js';
import { exportCommand } from './export.js';
import { teacherCacheCommand } from './teacher_cache.js';

/** Every sub-command of the CLI; each lives in its own module beside this file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [trainCommand, testCommand, predictCommand, exportCommand, teacherCacheCommand, benchCommand, synthCommand, evalCommand, exportGtCommand, infoCommand];
