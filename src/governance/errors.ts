// The one error class of governance administration, with a closed set of kinds the admin API maps
// to statuses: invalid → 400, not_found → 404, conflict → 409. Hot-path operations (authenticate,
// reserve, acquire) never throw for expected outcomes; they return tagged results.

export type GovernanceErrorKind = 'invalid' | 'not_found' | 'conflict';

/** One rejected field: `budgets[0].limitPico`, and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class GovernanceError extends Error {
  readonly kind: GovernanceErrorKind;
  readonly issues: readonly FieldIssue[];

  constructor(kind: GovernanceErrorKind, message: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.name = 'GovernanceError';
    this.kind = kind;
    this.issues = issues;
  }
}

export function isGovernanceError(err: unknown): err is GovernanceError {
  return err instanceof GovernanceError;
}
