// `costwise` command line. Each subcommand's module is imported only when it runs (fast start-up).
import { Command, InvalidArgumentError } from 'commander';

function intOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function numberOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
}

/** A reader that stops early (`costwise … | head`) closes stdout: the command is done, not failed. */
function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  endQuietlyOnClosedStdout();
  const program = new Command()
    .name('costwise')
    .description('Cut the cost of LLM applications: a drop-in OpenAI/Anthropic-compatible gateway with exact cost accounting.')
    .version('0.1.0');

  program
    .command('serve')
    .description('run the gateway (embedded defaults: SQLite ledger, in-process emulated providers)')
    .option('-p, --port <port>', 'port to listen on (env PORT; default 4000)', intOption('port'))
    .option('--host <host>', 'address to bind (default 127.0.0.1; others need COSTWISE_ADMIN_KEY)')
    .option('-c, --config <file>', 'costwise.yaml configuration file (env COSTWISE_CONFIG)')
    .action(async (opts: { port?: number; host?: string; config?: string }) => {
      const { runServe } = await import('./serve.js');
      await runServe(opts);
    });

  program
    .command('emulate')
    .description('run the provider emulator (OpenAI, Anthropic and Gemini wire formats) standalone')
    .option('-p, --port <port>', 'port to listen on', intOption('port'), 4100)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--ttft-ms <ms>', 'time to first token', numberOption('ttft-ms'), 0)
    .option('--per-token-ms <ms>', 'time per output token', numberOption('per-token-ms'), 0)
    .option('--fault-rate <p>', 'probability (0..1) of an injected 429/500/503 fault', numberOption('fault-rate'), 0)
    .option('--seed <n>', 'seed for generated text and faults', intOption('seed'), 1)
    .option('--rpm <n>', 'requests per minute before a real 429 (default 10000)', intOption('rpm'))
    .option('--tpm <n>', 'tokens per minute before a real 429 (default 10000000)', intOption('tpm'))
    .option('--outcomes <files...>', 'outcome CSVs (RouterBench layout): recorded prompts get recorded answers')
    .option('--outcome-model <model=recorded...>', 'model asked for = recorded model whose answers it gives (repeatable)')
    .action(
      async (opts: {
        port: number;
        host: string;
        ttftMs: number;
        perTokenMs: number;
        faultRate: number;
        seed: number;
        rpm?: number;
        tpm?: number;
        outcomes?: string[];
        outcomeModel?: string[];
      }) => {
        const { runEmulateCommand } = await import('../emulator/cli.js');
        const { outcomes, outcomeModel, ...rest } = opts;
        try {
          const models = modelPairs(outcomeModel ?? []);
          await runEmulateCommand({ ...rest, ...(outcomes ? { outcomes: { files: outcomes, models } } : {}) });
        } catch (err) {
          if (!(err instanceof InvalidArgumentError) && (err as Error).name !== 'CsvError') throw err;
          process.stderr.write(`costwise emulate: ${(err as Error).message}\n`);
          process.exit(2);
        }
      },
    );

  program
    .command('estimate')
    .description('token count and cost of a prompt (text) or request body (JSON) on every catalog model')
    .argument('<file>', 'a text prompt, or an OpenAI / Anthropic request body as JSON ("-" reads standard input)')
    .option('-o, --output-tokens <n>', "expected output tokens (default: the request's max tokens, capped at 500)", intOption('output-tokens'))
    .option('-c, --config <file>', 'costwise.yaml whose catalog to price against')
    .option('-f, --format <format>', 'table | json', 'table')
    .action(async (file: string, opts: { outputTokens?: number; config?: string; format: string }) => {
      const { runEstimate } = await import('./estimate.js');
      runEstimate(file, opts);
    });

  // `router` pulls in the learned-router code: loaded only when that command runs or help is asked.
  if (argv[2] === 'router' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help') {
    const { registerRouterCommands } = await import('./router.js');
    registerRouterCommands(program);
  }

  if (argv[2] === 'cache' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./cache.js')).registerCacheCommands(program);

  if (argv[2] === 'promptcache' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./promptcache.js')).registerPromptCacheCommands(program);

  if (argv[2] === 'optimize' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./optimize.js')).registerOptimizeCommands(program);

  if (argv[2] === 'project' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./project.js')).registerProjectCommand(program);

  if (argv[2] === 'replay' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./replay.js')).registerReplayCommand(program);

  if (argv[2] === 'batch' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./batch.js')).registerBatchCommands(program);

  if (argv[2] === 'keys' || argv[2] === 'teams' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./keys.js')).registerKeyCommands(program);

  program
    .command('migrate')
    .description('apply pending schema migrations to the ledger and key store the config names (replicas also do at start)')
    .option('-c, --config <file>', 'costwise.yaml (env COSTWISE_CONFIG)')
    .action(async (opts: { config?: string }) => {
      const { runMigrate } = await import('./migrate.js');
      await runMigrate(opts);
    });

  if (argv[2] === 'ledger' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./ledger.js')).registerLedgerCommands(program);

  if (argv[2] === 'advise' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./advise.js')).registerAdviseCommand(program);

  if (argv[2] === 'budgets' || argv.length <= 2 || argv.includes('--help') || argv.includes('-h') || argv[2] === 'help')
    (await import('./budgets.js')).registerBudgetCommands(program);

  await program.parseAsync(argv);
}

/** `a=b` pairs → {a: b}; a pair without "=" is a usage error. */
function modelPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1) throw new InvalidArgumentError(`--outcome-model ${p}: expected <model>=<recorded model>`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
