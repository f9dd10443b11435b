// The evaluation data beside the repository (../shared/data, see its README), or where
// COSTWISE_SHARED_DATA points. Tests that read it skip on a machine without it, except in CI
// (CI=true), where a missing file must fail the run rather than pass it silently.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SHARED_DATA = process.env['COSTWISE_SHARED_DATA'] ?? path.join(repoRoot, '..', 'shared', 'data');

export function sharedData(...parts: string[]): string {
  return path.join(SHARED_DATA, ...parts);
}

/** Whether tests needing these data files should be skipped: only when one is missing outside CI. */
export function skipWithoutSharedData(...files: string[]): boolean {
  return !process.env['CI'] && !files.every((f) => existsSync(f));
}
