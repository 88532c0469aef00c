/** The model loaders the page offers, one per runtime; the Model menu lists every served file one of them reads. */
import type { ModelLoader } from './model.js';

export const LOADERS: ModelLoader[] = [];
