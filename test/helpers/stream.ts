// Async sources for the stream parsers, made from chunks a test already holds.

/** `chunks` one at a time as an async iterable, the way a response body arrives. */
export function arriving<T>(chunks: Iterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = chunks[Symbol.iterator]();
      return { next: () => Promise.resolve(it.next()) };
    },
  };
}
