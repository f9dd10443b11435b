// A policy is a costwise config. For a replay it keeps every decision-making section (routing,
// caches, prompt caching, models, prices) and changes only where traffic and records go: every
// provider points at the replay's emulator, the ledger and the batch database are scratch
// in-memory databases, the response cache is in memory (never a shared SQLite file or Redis),
// deferred jobs post no webhooks, and the server listens on an ephemeral loopback port.
import { basename } from 'node:path';
import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';

export interface ReplayPolicy {
  /** Shown in reports: the file's base name, or `default` for the embedded config. */
  name: string;
  /** The file it came from ('' for the embedded default). */
  source: string;
  config: Config;
}

export function loadPolicy(file: string | undefined): ReplayPolicy {
  const { config, source } = loadConfig(file);
  return { name: source ? basename(source).replace(/\.ya?ml$/i, '') : 'default', source, config };
}

/** Distinct names for the report: a repeated base name gets `#2`, `#3`. */
export function uniqueNames(policies: ReplayPolicy[]): ReplayPolicy[] {
  const seen = new Map<string, number>();
  return policies.map((p) => {
    const n = (seen.get(p.name) ?? 0) + 1;
    seen.set(p.name, n);
    return n === 1 ? p : { ...p, name: `${p.name}#${n}` };
  });
}

export function replayConfig(config: Config, emulatorUrl: string): Config {
  const { adminKey: _adminKey, ...server } = config.server;
  return {
    ...config,
    server: { ...server, port: 0, host: '127.0.0.1' },
    storage: { ...config.storage, ledger: { kind: 'sqlite', path: ':memory:' } },
    cache: { ...config.cache, backend: 'memory' },
    providers: config.providers.map((p) => ({ ...p, baseUrl: emulatorUrl })),
    // Deferred requests: batches in memory, items without a batch API one at a time (their order
    // is then the same every run), and no webhook POSTs to the outside world.
    batch: { ...config.batch, path: ':memory:', concurrency: 1, deferral: { ...config.batch.deferral, webhookUrl: undefined } },
  };
}
