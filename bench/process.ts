// Child processes for the benchmarks: the real `costwise` binary (and the bench's own servers),
// started and known by the first http URL they print.
import { spawn, type ChildProcess } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root: benchmarks run from dist/bench, tests import this file from bench/. */
export const ROOT = basename(dirname(HERE)) === 'dist' ? join(HERE, '..', '..') : join(HERE, '..');
export const BIN = join(ROOT, 'bin', 'costwise.js');

export interface BenchProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  /** Resolves with the exit code (or signal name) once it has exited. */
  exited: Promise<number | string>;
}

/**
 * Node flags every benchmarked server runs with — the gateway, the bare proxy and the emulator alike
 * — as `npm start` and docs/operations.md run the gateway: a young generation large enough that
 * a loaded server's request objects die young instead of being copied (the gateway spends ~8% less
 * CPU a request; the bare proxy allocates too little to notice).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];

/** Starts `node <SERVER_NODE_FLAGS> <args>`; resolves once it prints a URL, rejects if it exits first or prints none in 20 s. */
export function startProcess(args: string[], children: ChildProcess[], env: NodeJS.ProcessEnv = process.env): Promise<BenchProcess> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  let out = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed by ${args.join(' ')}:\n${out}`)), 20_000);
    let started = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = started ? null : /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve({ child, url: m[0], output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

/** The emulator as its own process, with provider rate limits out of the way. */
export function startEmulatorProcess(children: ChildProcess[]): Promise<BenchProcess> {
  return startProcess([BIN, 'emulate', '--port', '0', '--rpm', '100000000', '--tpm', '1000000000000'], children);
}

/** SIGTERM to every child still running; resolves once they have exited (or after 10 s). */
export async function stopAll(children: ChildProcess[]): Promise<void> {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const gone = Promise.all(running.map((c) => new Promise((resolve) => c.once('exit', resolve))));
  for (const c of running) c.kill('SIGTERM');
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
}
