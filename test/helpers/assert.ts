// Small checks that also narrow types, so tests need neither casts nor non-null assertions.

/** `value` when it is there; otherwise throws (failing the test) naming `what` was missing. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}, found ${String(value)}`);
  return value;
}

/** The value `promise` rejects with; throws (failing the test) when it resolves instead. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The error `promise` rejects with, checked to be an instance of `type` (e.g. `OpenAI.APIError`) and typed as one. */
export async function rejectionOf<E>(promise: PromiseLike<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const e = await rejection(promise);
  if (!(e instanceof type)) throw new Error(`expected a ${type.name}, got ${String(e)}`);
  return e;
}
