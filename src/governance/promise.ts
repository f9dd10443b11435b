// For the in-process implementations of the async governance interfaces, whose work is synchronous.

/**
 * Runs `work` now and returns its result as a promise, as an `async` function without an `await`
 * does: a throw rejects the promise instead of escaping the call.
 */
export function promised<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(work());
  });
}
