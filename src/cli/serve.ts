import { ConfigError, loadConfig } from '../config/load.js';
import { startGateway, StartupError } from '../server/gateway.js';

export async function runServe(opts: { port?: number; host?: string; config?: string }): Promise<void> {
  const configFile = opts.config ?? process.env['COSTWISE_CONFIG'];
  let loaded;
  try {
    loaded = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`costwise: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const envPort = process.env['PORT'] !== undefined ? Number(process.env['PORT']) : undefined;
  if (envPort !== undefined && (!Number.isInteger(envPort) || envPort < 0 || envPort > 65535)) {
    process.stderr.write(`costwise: PORT must be an integer 0-65535, got "${process.env['PORT']}"\n`);
    process.exit(2);
  }
  let gateway;
  try {
    gateway = await startGateway({
      config: loaded.config,
      ...((opts.port ?? envPort) !== undefined ? { port: (opts.port ?? envPort)! } : {}),
      ...(opts.host !== undefined ? { host: opts.host } : {}),
    });
  } catch (err) {
    if (err instanceof StartupError || err instanceof ConfigError || (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`costwise: ${(err as Error).message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const models = gateway.deps.catalog.list();
  const out = process.stdout;
  out.write(`costwise gateway listening on ${gateway.url}\n`);
  out.write(`  config:    ${loaded.source || 'embedded default'}${gateway.emulator ? ' (providers emulated in-process: no keys, no network)' : ''}\n`);
  const ledger = loaded.config.storage.ledger;
  out.write(`  ledger:    ${ledger.kind === 'sqlite' ? ledger.path : `PostgreSQL, schema ${ledger.schema}`}\n`);
  const days = loaded.config.storage.retentionDays;
  if (days !== undefined) out.write(`  retention: ledger rows older than ${days} days are deleted hourly (hourly spend rollups kept)\n`);
  out.write(`  models:    ${models.map((m) => m.name).join(', ')}\n`);
  out.write(`  OpenAI SDK:    baseURL ${gateway.url}/v1\n`);
  out.write(`  Anthropic SDK: baseURL ${gateway.url}\n`);
  out.write(`  spend:     ${gateway.url}/api/spend?group_by=model\n`);
  out.write(`  dashboard: ${gateway.url}/ui\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out.write(`costwise: ${signal}, shutting down (flushing the ledger)\n`);
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
