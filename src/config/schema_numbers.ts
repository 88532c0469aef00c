/** Number schemas shared by the config sections. */
import { z } from 'zod';

export const probability = z.number().min(0).max(1);
export const positiveInt = z.number().int().positive();
