// Grades (1 right, 0 wrong, by ledger request id) from the feedback the deployment stored (POST
// /api/feedback), merged with a grades file. The paired interval counts right and wrong answers, so
// a score from 0.5 up grades the answer right, and below it wrong.
import type { Feedback } from '../storage/labels/types.js';

export function feedbackGrades(feedback: readonly Pick<Feedback, 'requestId' | 'score'>[]): Map<string, number> {
  return new Map(feedback.map((f) => [f.requestId, f.score >= 0.5 ? 1 : 0]));
}

/** The stored grades with the file's over them: where both grade a request, the file wins. */
export function mergeGrades(stored: ReadonlyMap<string, number>, file: ReadonlyMap<string, number> | undefined): Map<string, number> {
  const out = new Map(stored);
  for (const [id, grade] of file ?? []) out.set(id, grade);
  return out;
}
