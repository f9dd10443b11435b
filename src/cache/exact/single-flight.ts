// Single flight: concurrent callers for the same key share one in-flight call, so a burst of
// identical misses reaches the provider once. The key is forgotten as soon as the call settles
// (success or failure), so a failure is shared by the callers that waited on it, never cached.

export interface SingleFlight<K, V> {
  /** Runs `fn` unless a call for `key` is already in flight, in which case its promise is shared. */
  run(key: K, fn: () => Promise<V>): Promise<V>;
  /** Keys with a call in flight. */
  readonly size: number;
}

export function singleFlight<K, V>(): SingleFlight<K, V> {
  const inFlight = new Map<K, Promise<V>>();
  return {
    run(key, fn) {
      const current = inFlight.get(key);
      if (current !== undefined) return current;
      // `fn` starts on a microtask, after the key is registered: a synchronous throw still
      // settles through `finally` and cannot leave a stale entry behind.
      const call: Promise<V> = Promise.resolve()
        .then(fn)
        .finally(() => {
          if (inFlight.get(key) === call) inFlight.delete(key);
        });
      inFlight.set(key, call);
      return call;
    },
    get size() {
      return inFlight.size;
    },
  };
}
