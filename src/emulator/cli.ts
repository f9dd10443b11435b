// `costwise emulate`: runs the provider emulator in the foreground until SIGINT/SIGTERM.
import { startEmulator } from './server.js';
import type { OutcomeOptions } from './outcomes.js';

export interface EmulateCommandOptions {
  port: number;
  host: string;
  ttftMs: number;
  perTokenMs: number;
  /** Spread evenly over 429 / 500 / 503 / 529 / cut. */
  faultRate: number;
  seed: number;
  /** Per-minute limits; over them the emulator answers a real 429. */
  rpm?: number;
  tpm?: number;
  /** Recorded answers (./outcomes.ts). */
  outcomes?: OutcomeOptions;
}

/** Resolves once a signal has stopped the emulator. */
export async function runEmulateCommand(opts: EmulateCommandOptions): Promise<void> {
  const share = Math.max(0, Math.min(1, opts.faultRate)) / 5;
  const emu = await startEmulator({
    port: opts.port,
    host: opts.host,
    latency: { ttftMs: opts.ttftMs, perTokenMs: opts.perTokenMs },
    faults: { rate429: share, rate500: share, rate503: share, rate529: share, rateCut: share },
    seed: opts.seed,
    ...(opts.rpm !== undefined || opts.tpm !== undefined
      ? { rateLimits: { requestsPerMinute: opts.rpm ?? 10_000, tokensPerMinute: opts.tpm ?? 10_000_000 } }
      : {}),
    ...(opts.outcomes ? { outcomes: opts.outcomes } : {}),
  });
  const out = process.stdout;
  out.write(`costwise emulator listening on ${emu.url}\n`);
  out.write(`  OpenAI    base URL: ${emu.url}/v1\n`);
  out.write(`  Anthropic base URL: ${emu.url}\n`);
  out.write(`  Gemini    base URL: ${emu.url}  (POST /v1beta/models/{model}:generateContent)\n`);
  out.write('Any non-empty API key is accepted. Press Ctrl+C to stop.\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const s = emu.stats();
  await emu.close();
  out.write(`emulator stopped after ${s.requests} requests\n`);
}
