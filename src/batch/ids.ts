import { randomBytes } from 'node:crypto';

/** Batch, file and job ids: a provider-like prefix and 24 random hex digits. */
export const newId = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;
