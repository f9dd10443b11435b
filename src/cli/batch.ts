// `costwise batch submit|list|status|approve|cancel|results`: batches on a running gateway.
// `submit` uploads an OpenAI batch JSONL, creates the batch held for approval, prints the
// estimate, asks (unless --yes), approves it and shows progress until it ends.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import Table from 'cli-table3';
import { progress } from './progress.js';
import type { Estimate } from '../batch/types.js';

/**
 * The admin key (COSTWISE_ADMIN_KEY) goes to /api/…; the OpenAI routes (/v1/files, /v1/batches)
 * take a virtual key (--key or COSTWISE_API_KEY) when the gateway runs with `auth: keys`, and the
 * admin key as before when none is given (open gateways).
 */
interface Conn {
  url: string;
  adminKey: string;
  apiKey: string | undefined;
}

interface Common {
  url: string;
  key?: string;
}

function conn(opts: Common): Conn {
  return {
    url: opts.url.replace(/\/$/, ''),
    adminKey: process.env['COSTWISE_ADMIN_KEY'] ?? 'costwise-cli',
    apiKey: opts.key ?? (process.env['COSTWISE_API_KEY'] || undefined),
  };
}

const isOpenAiRoute = (path: string): boolean => path.startsWith('/v1/');

async function call(c: Conn, method: string, path: string, body?: string | FormData, headers: Record<string, string> = {}): Promise<Response> {
  const credential = isOpenAiRoute(path) ? (c.apiKey ?? c.adminKey) : c.adminKey;
  let res: Response;
  try {
    res = await fetch(`${c.url}${path}`, { method, headers: { authorization: `Bearer ${credential}`, ...headers }, ...(body !== undefined ? { body } : {}) });
  } catch (err) {
    throw new Error(`cannot reach the gateway at ${c.url} (${(err as Error).message}); is \`costwise serve\` running? (--url)`, { cause: err });
  }
  if (!res.ok) {
    const text = await res.text();
    let message = text;
    try {
      const j = JSON.parse(text) as { error?: { message?: string } };
      message = j.error?.message ?? text;
    } catch {
      // plain text
    }
    const hint =
      res.status === 401 && isOpenAiRoute(path)
        ? c.apiKey === undefined
          ? ' (this gateway needs a virtual key: --key cw-… or COSTWISE_API_KEY; `costwise keys create` makes one)'
          : ' (the key from --key or COSTWISE_API_KEY)'
        : '';
    throw new Error(`${method} ${path}: HTTP ${res.status}: ${message}${hint}`);
  }
  return res;
}

const json = async <T>(c: Conn, method: string, path: string): Promise<T> => (await (await call(c, method, path)).json()) as T;

interface BatchDetail {
  id: string;
  state: string;
  model: string;
  requests: number;
  completed: number;
  counts: Record<string, number>;
  estimate: Estimate;
  view: Record<string, unknown>;
}

const ENDED = new Set(['completed', 'cancelled', 'expired', 'failed']);

export function renderEstimate(b: BatchDetail): string {
  const e = b.estimate;
  const t = new Table({ head: ['model', 'requests', 'input tokens', 'expected', 'worst case', 'rates', 'output basis'] });
  for (const [model, m] of Object.entries(e.models)) {
    t.push([
      model,
      m.requests,
      m.input_tokens,
      `$${m.expected_usd}`,
      `$${m.worst_usd}`,
      m.batch_rates ? 'batch (50%)' : 'synchronous',
      e.output_basis[model] ?? '',
    ]);
  }
  return [
    `batch ${b.id}: ${e.requests} request(s), ${e.input_tokens} input tokens, ~${e.expected_output_tokens} output tokens expected (at most ${e.worst_output_tokens})`,
    t.toString(),
    `expected $${e.expected_usd}  (worst case $${e.worst_usd})  — synchronously $${e.sync_expected_usd}, saving $${e.saving_usd}`,
  ].join('\n');
}

/** `--model` replaces the model of every line that parses; the others are sent as they are (the gateway reports them). */
export function withModel(text: string, model: string | undefined): string {
  if (!model) return text;
  return text
    .split('\n')
    .map((line) => {
      try {
        const v = JSON.parse(line) as { body?: Record<string, unknown> | null } | null;
        if (v !== null && typeof v.body === 'object' && v.body !== null) {
          v.body.model = model;
          return JSON.stringify(v);
        }
      } catch {
        // left as is
      }
      return line;
    })
    .join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function follow(c: Conn, id: string): Promise<BatchDetail> {
  const bar = progress(`batch ${id}`);
  for (;;) {
    const b = await json<BatchDetail>(c, 'GET', `/api/batches/${encodeURIComponent(id)}`);
    bar.update(b.completed, b.requests);
    if (ENDED.has(b.state)) {
      bar.end();
      return b;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function summary(b: BatchDetail): string {
  const c = b.counts;
  return `batch ${b.id} ${b.state}: ${c['succeeded'] ?? 0} succeeded, ${c['errored'] ?? 0} errored, ${c['expired'] ?? 0} expired, ${c['canceled'] ?? 0} cancelled (of ${b.requests}); results: costwise batch results ${b.id}`;
}

async function submit(file: string, opts: Common & { model?: string; yes?: boolean; wait: boolean }): Promise<void> {
  const c = conn(opts);
  const text = withModel(readFileSync(file, 'utf8'), opts.model);
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([text], { type: 'application/jsonl' }), basename(file).endsWith('.jsonl') ? basename(file) : `${basename(file)}.jsonl`);
  const uploaded = (await (await call(c, 'POST', '/v1/files', form)).json()) as { id: string };
  const created = (await (
    await call(c, 'POST', '/v1/batches', JSON.stringify({ input_file_id: uploaded.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), {
      'content-type': 'application/json',
      'x-costwise-approval': 'required',
    })
  ).json()) as { id: string };
  const b = await json<BatchDetail>(c, 'GET', `/api/batches/${created.id}`);
  process.stdout.write(`${renderEstimate(b)}\n`);
  const errors = (b.view['errors'] as { data?: Array<{ message: string }> } | null)?.data ?? [];
  for (const e of errors) process.stdout.write(`  ${e.message}\n`);
  if (!opts.yes && !process.stdin.isTTY) {
    process.stdout.write(`batch ${created.id} is waiting for approval: costwise batch approve ${created.id} (or submit with --yes)\n`);
    return;
  }
  if (!opts.yes && !(await confirm(`Run it? [y/N] `))) {
    await call(c, 'POST', `/api/batches/${created.id}/cancel`);
    process.stdout.write(`not run; batch ${created.id} cancelled\n`);
    return;
  }
  await call(c, 'POST', `/api/batches/${created.id}/approve`);
  process.stdout.write(`approved; batch ${created.id} running\n`);
  if (!opts.wait) return;
  process.stdout.write(`${summary(await follow(c, created.id))}\n`);
}

async function list(opts: Common): Promise<void> {
  const c = conn(opts);
  const r = await json<{ data: Array<BatchDetail & { format: string; created_at: number }> }>(c, 'GET', '/api/batches');
  const t = new Table({ head: ['batch', 'format', 'state', 'model', 'done', 'estimate', 'created'] });
  for (const b of r.data)
    t.push([b.id, b.format, b.state, b.model, `${b.completed}/${b.requests}`, `$${b.estimate.expected_usd}`, new Date(b.created_at).toISOString()]);
  process.stdout.write(`${r.data.length ? t.toString() : 'no batches'}\n`);
}

async function status(id: string, opts: Common & { wait?: boolean }): Promise<void> {
  const c = conn(opts);
  const b = opts.wait ? await follow(c, id) : await json<BatchDetail>(c, 'GET', `/api/batches/${encodeURIComponent(id)}`);
  process.stdout.write(`${renderEstimate(b)}\n${summary(b)}\n`);
}

export function registerBatchCommands(program: Command): void {
  const batch = program.command('batch').description('batch processing on a running gateway (half price on OpenAI and Anthropic batch APIs)');
  const url = (cmd: Command) => cmd.option('--url <url>', 'gateway URL (admin key from COSTWISE_ADMIN_KEY)', 'http://127.0.0.1:4000');
  url(
    batch
      .command('submit')
      .description('upload an OpenAI batch JSONL, show its estimate, ask, run it and show progress')
      .argument('<file>', 'JSONL: {"custom_id","method":"POST","url":"/v1/chat/completions","body":{...}} per line')
      .option('-m, --model <model>', 'run every request on this catalog model')
      .option(
        '--key <cw-key>',
        'virtual key (cw-…) to upload and create the batch with (env COSTWISE_API_KEY); needed when the gateway requires keys: server.auth keys, or auth unset and the gateway has a key or is not on loopback',
      )
      .option('-y, --yes', 'do not ask before running')
      .option('--no-wait', 'return once the batch is approved'),
  ).action((file: string, opts: Common & { model?: string; yes?: boolean; wait: boolean }) => submit(file, opts));
  url(batch.command('list').description('batches, newest first')).action((opts: Common) => list(opts));
  url(batch.command('status').description("a batch's estimate and progress").argument('<id>').option('-w, --wait', 'follow it until it ends')).action(
    (id: string, opts: Common & { wait?: boolean }) => status(id, opts),
  );
  url(batch.command('approve').description('run a batch waiting for approval').argument('<id>')).action(async (id: string, opts: Common) => {
    await call(conn(opts), 'POST', `/api/batches/${encodeURIComponent(id)}/approve`);
    process.stdout.write(`approved ${id}\n`);
  });
  url(batch.command('cancel').description('cancel a batch').argument('<id>')).action(async (id: string, opts: Common) => {
    await call(conn(opts), 'POST', `/api/batches/${encodeURIComponent(id)}/cancel`);
    process.stdout.write(`cancelling ${id}\n`);
  });
  url(
    batch.command('results').description("a batch's results as JSONL (its own format)").argument('<id>').option('-o, --output <file>', 'write to a file'),
  ).action(async (id: string, opts: Common & { output?: string }) => {
    const text = await (await call(conn(opts), 'GET', `/api/batches/${encodeURIComponent(id)}/results`)).text();
    if (opts.output) writeFileSync(opts.output, text);
    else process.stdout.write(text);
  });
}
