// For methods that implement an async interface without awaiting anything: they return
// `Promise.resolve(value)` and, from a `catch` around their body, `rejection(err)`, so a throw
// still reaches the caller as a rejection (as it would from an `async` function) without the
// async function's extra promise and microtask.

/** A promise rejected with exactly what was thrown. */
export function rejection(err: unknown): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what the body threw, unchanged, as an async function's rejection would
  return Promise.reject(err);
}
