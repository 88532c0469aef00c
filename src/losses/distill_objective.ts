/**
 * Distillation objectives: the config's self-supervised loss plus a teacher term. DistDepth (structure distillation from a
 * relative-depth expert, scale 0) and hint-feature KD (1x1 adapters per decoder scale). The trainer calls these; the
 * formulas themselves live in distill.ts and hint.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

import { depthFromDisparity, netOutputOfLoss, type NetOutput } from '../models/output_convention.js';
import { alignScaleShift, distDepthLoss, sobelEdgeMagnitude, type DistDepthLossOptions } from './distill.js';
import { hintLoss, type HintAdapters, type HintNormalization } from './hint.js';
import type { LossResult } from './monodepth2.js';
import type { ObjectiveSettings } from './objective.js';

/** What a teacher map holds: depth, or inverse depth (DPT/MiDaS "disparity"). */
export type TeacherKind = 'depth' | 'inverse_depth';

/** A teacher map as depth: inverse depth d (DPT/MiDaS "disparity") becomes 1 / (d + 1) as DistDepth does; depth is kept. */
export function teacherMapToDepth(map: tf.Tensor4D, kind: TeacherKind): tf.Tensor4D {
  if (kind === 'depth') return tf.clone(map);
  return tf.tidy(() => tf.div(1, tf.add(tf.relu(map), 1)) as tf.Tensor4D);
}

/** What the objective's network outputs (the output convention module converts it). */
export function netOutputOfObjective(s: Pick<ObjectiveSettings, 'kind' | 'minDepth' | 'maxDepth'>): NetOutput {
  return netOutputOfLoss(s.kind, s.minDepth, s.maxDepth);
}

/** Merges a distillation term into the self-supervised result: total = ss + term; parts keep both, the term's under `prefix/`. */
function addTerm(selfSupervised: LossResult, term: LossResult, prefix: string): LossResult {
  const parts: Record<string, tf.Scalar> = { ...selfSupervised.parts, self_supervised: selfSupervised.total, [`${prefix}/total`]: term.total };
  for (const [k, v] of Object.entries(term.parts)) parts[`${prefix}/${k.replace(/^hint\//, '')}`] = v;
  return { total: tf.add(selfSupervised.total, term.total) as tf.Scalar, parts };
}

/**
 * DistDepth objective: L_ss + distWeight (L_stat + L_spatial) on the full-resolution student depth (disparities[0] through the
 * loss's depth conversion) against the teacher depth, aligned by a detached scale and shift per batch.
 * `teacherDepth` is resized (bilinear) to the student's size when they differ.
 */
export function distDepthObjective(selfSupervised: LossResult, teacherDepth: tf.Tensor4D, studentDisparity: tf.Tensor4D, s: ObjectiveSettings, o: DistDepthLossOptions): LossResult {
  const [, h, w] = studentDisparity.shape;
  const student = depthFromDisparity(studentDisparity, netOutputOfObjective(s));
  const teacher = teacherDepth.shape[1] === h && teacherDepth.shape[2] === w ? teacherDepth : tf.image.resizeBilinear(teacherDepth, [h, w], false, true);
  try {
    return addTerm(selfSupervised, distDepthLoss(teacher, student, o), 'distill');
  } finally {
    student.dispose();
    if (teacher !== teacherDepth) teacher.dispose();
  }
}

/** Hint-KD objective: L_ss + Σ_r w_r mean(‖A_r(F_S^r) − F_T^r‖²) (optionally per-scale normalized) over the decoder scales both nets have. */
export function hintObjective(selfSupervised: LossResult, adapters: HintAdapters, studentFeatures: tf.Tensor4D[], teacherFeatures: tf.Tensor4D[], weights: number[], normalization: HintNormalization = 'none'): LossResult {
  const n = Math.min(studentFeatures.length, teacherFeatures.length, adapters.kernels.length);
  return addTerm(selfSupervised, hintLoss(adapters, studentFeatures.slice(0, n), teacherFeatures.slice(0, n), weights, normalization), 'hint');
}

/**
 * What DistDepth compares, for the first sample, as [H,W,1] maps for images: teacher, teacher aligned to the student and
 * student as inverse depth (brighter = nearer, like disparity images), and the Sobel edge magnitudes of the aligned teacher
 * and of the student (the spatial loss's inputs).
 */
export function distDepthPreview(teacherDepth: tf.Tensor4D, studentDepth: tf.Tensor4D, o: DistDepthLossOptions): Record<string, tf.Tensor3D> {
  const first = (t: tf.Tensor4D): tf.Tensor4D => tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
  const t0 = tf.tidy(() => first(teacherDepth));
  const s0 = tf.tidy(() => first(studentDepth));
  const { scale, shift } = alignScaleShift(t0, s0, o.alignment);
  return tf.tidy(() => {
    const aligned = tf.add(tf.mul(t0, scale), shift) as tf.Tensor4D;
    const squeeze = (t: tf.Tensor4D): tf.Tensor3D => tf.squeeze(t, [0]) as tf.Tensor3D;
    const inverse = (t: tf.Tensor4D): tf.Tensor3D => squeeze(tf.div(1, tf.maximum(t, 1e-6)) as tf.Tensor4D);
    const out = {
      teacher: inverse(t0),
      teacher_aligned: inverse(aligned),
      student: inverse(s0),
      teacher_edges: squeeze(sobelEdgeMagnitude(aligned, o.spatial.border)),
      student_edges: squeeze(sobelEdgeMagnitude(s0, o.spatial.border)),
    };
    tf.dispose([t0, s0]);
    return out;
  });
}
