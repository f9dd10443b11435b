// A periodic expiry sweep that never keeps the process alive and never throws into the loop.
export interface Sweeper {
  stop(): void;
}

export function startSweeper(intervalMs: number, sweep: () => unknown, log: (message: string) => void = defaultLog): Sweeper {
  if (intervalMs <= 0) return { stop() {} };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.resolve()
      .then(sweep)
      .catch((err: unknown) => log(`costwise: cache sweep failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function defaultLog(message: string): void {
  process.stderr.write(`${message}\n`);
}
