/** Public library API of stereodepth. */
export * from './data/types.js';
export { Rng, type RngState } from './util/random.js';
export { writeFileAtomic, writeFileAtomicSync } from './util/atomic.js';
export { ProgressBar, formatDuration } from './util/progress.js';
export * from './backend/index.js';
