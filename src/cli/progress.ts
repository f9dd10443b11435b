// A single-line `\r` progress bar on stderr for long CLI work: shown only on a TTY and only
// after the first second (short runs stay quiet), redrawn at most ten times a second.

export interface Progress {
  update: (done: number, total: number) => void;
  end: () => void;
}

export function progress(label: string): Progress {
  const start = Date.now();
  let shown = false;
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (!process.stderr.isTTY || now - start < 1000 || now - last < 100) return;
      last = now;
      shown = true;
      const pct = total ? Math.floor((done / total) * 100) : 0;
      process.stderr.write(`\r${label} [${'#'.repeat(Math.floor(pct / 5)).padEnd(20, '.')}] ${pct}% (${done}/${total})`);
    },
    end() {
      if (shown) process.stderr.write('\r' + ' '.repeat(label.length + 50) + '\r');
    },
  };
}
