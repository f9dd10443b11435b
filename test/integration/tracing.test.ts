// OpenTelemetry traces over real OTLP/HTTP: a local receiver gets the spans a request leaves — one
// SERVER span with the GenAI conventions and costwise's cost, baseline, technique and route, and a
// CLIENT span per upstream attempt (a failing region retried and fallen back from, a cascade step)
// — continuing the caller's W3C traceparent, configured only by the standard OTEL_* environment.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { tracingProtocol } from '../../src/telemetry/index.js';
import { expectedPico, ledger, startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

const fast = { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterSeconds: 0 };
const caps = { contextWindow: 200_000, maxOutputTokens: 64_000 };
// The failing region is the cheaper one, so it is tried first.
const cheaperSonnet = { input: 2.7, output: 13.5, cacheRead: 0.27, cacheWrite5m: 3.375, cacheWrite1h: 5.4 };
const config: Partial<ConfigInput> = {
  providers: [
    { name: 'anthropic-eu', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k', headers: { 'x-emulator-fault': '529' } },
    { name: 'anthropic-us', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'k' },
  ],
  models: [
    { name: 'claude-sonnet-4-5', provider: 'anthropic-eu', region: 'eu-west-1', pricing: cheaperSonnet, capabilities: caps },
    { name: 'claude-sonnet-4-5', provider: 'anthropic-us', region: 'us-east-1', capabilities: caps },
    { name: 'claude-haiku-4-5', provider: 'anthropic-us', capabilities: caps },
  ],
  routing: {
    retry: fast,
    breaker: { failureThreshold: 1000, coolDownMs: 1000 },
    routers: { score: { kind: 'cascade', steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'], checks: [{ kind: 'score_band', ambiguous: [0.35, 0.65] }] } },
  },
};

const OTEL_VARS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_SERVICE_NAME'] as const;

/** Sets the OTEL_* variables for one gateway's start; gives back a function that restores them. */
function otelEnv(vars: Partial<Record<(typeof OTEL_VARS)[number], string>>): () => void {
  const saved = { ...process.env };
  for (const k of OTEL_VARS) Reflect.deleteProperty(process.env, k);
  Object.assign(process.env, vars);
  return () => {
    for (const k of OTEL_VARS) {
      const v = saved[k];
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
}

async function flush(env: TestEnv): Promise<void> {
  await env.gateway.deps.telemetry!.tracing!.flush();
}

describe.each(BACKENDS)('traces over OTLP/HTTP JSON (%s ledger)', (backend) => {
  let receiver: OtlpReceiver;
  let env: TestEnv;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const restore = otelEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic cGstbGYtMTpzay1sZi0x',
      OTEL_SERVICE_NAME: 'costwise-under-test',
    });
    try {
      env = await startEnvOn(backend, { config });
    } finally {
      restore();
    }
  });
  afterAll(async () => {
    await env.close();
    await receiver.close();
  });

  /** The request's span and its children, once exported. */
  async function spansOf(requestId: string | null): Promise<{ request: ReceivedSpan; attempts: ReceivedSpan[] }> {
    await flush(env);
    const request = await vi.waitFor(() => {
      const found = receiver.spans.find((s) => s.attributes['costwise.request_id'] === requestId);
      if (!found) throw new Error(`no span for ${requestId} yet`);
      return found;
    });
    return { request, attempts: receiver.spans.filter((s) => s.parentSpanId === request.spanId) };
  }

  it('a retried, fallen-back request: its span continues the caller’s trace, one child per attempt', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parentId = 'b7ad6b7169203331';
    const { data, response } = await env.anthropic.messages
      .create(
        { model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hello there' }] },
        { headers: { 'x-emulator-output-tokens': '4', traceparent: `00-${traceId}-${parentId}-01` } },
      )
      .withResponse();
    const id = response.headers.get('x-costwise-request-id');
    const { request, attempts } = await spansOf(id);

    expect(request).toMatchObject({ traceId, parentSpanId: parentId, name: 'chat claude-sonnet-4-5', kind: SERVER, statusCode: 0 });
    const cost = expectedPico('claude-sonnet-4-5', { input: data.usage.input_tokens, output: 4 });
    expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(cost);
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': data.usage.input_tokens + (data.usage.cache_read_input_tokens ?? 0) + (data.usage.cache_creation_input_tokens ?? 0),
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.usage.cache_read.input_tokens': data.usage.cache_read_input_tokens ?? 0,
      'gen_ai.usage.cache_creation.input_tokens': data.usage.cache_creation_input_tokens ?? 0,
      'costwise.technique': 'none',
      'costwise.route_reason': 'requested; fallback:529->claude-sonnet-4-5',
      'costwise.provider': 'anthropic-us',
      'http.response.status_code': 200,
    });
    // Cost and baseline as the ledger has them, to the pico-dollar.
    const row = (await ledger(env)).find((r) => r.requestId === id)!;
    expect(BigInt(Math.round(Number(request.attributes['costwise.cost_usd']) * 1e12))).toBe(cost);
    expect(Math.round(Number(request.attributes['gen_ai.usage.cost']) * 1e12)).toBe(row.costPico);
    expect(Math.round(Number(request.attributes['costwise.baseline_usd']) * 1e12)).toBe(row.baselinePico);
    expect(request.resource['service.name']).toBe('costwise-under-test');

    // eu (529), eu again (the retry), then us: the same attempts as the ledger row.
    expect(
      attempts.map((a) => [a.attributes['costwise.deployment'], a.statusCode, a.attributes['error.type'], a.attributes['http.response.status_code']]),
    ).toEqual([
      ['claude-sonnet-4-5@anthropic-eu/eu-west-1', ERROR, 'overloaded', 529],
      ['claude-sonnet-4-5@anthropic-eu/eu-west-1', ERROR, 'overloaded', 529],
      ['claude-sonnet-4-5@anthropic-us/us-east-1', 0, undefined, undefined],
    ]);
    expect(row.attempts!.map((a) => a.deployment)).toEqual(attempts.map((a) => a.attributes['costwise.deployment']));
    for (const a of attempts) {
      expect(a).toMatchObject({ traceId, kind: CLIENT, name: 'chat claude-sonnet-4-5' });
      expect(a.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'costwise.attempt.purpose': 'answer' });
    }
    expect(attempts.at(-1)!.attributes['gen_ai.response.model']).toBe('claude-sonnet-4-5');
    // The standard headers variable reached the exporter.
    expect(receiver.exports.some((e) => e.headers['authorization'] === 'Basic cGstbGYtMTpzay1sZi0x')).toBe(true);
  });

  it('a cascade that escalates: the rejected step is its own attempt, its cost on the request span', async () => {
    const { response } = await env.openai.chat.completions
      .create(
        { model: 'router/score', max_completion_tokens: 50, messages: [{ role: 'user', content: 'Score: 0.5' }] },
        { headers: { 'x-emulator-echo': '1' } },
      )
      .withResponse();
    const id = response.headers.get('x-costwise-request-id');
    const { request, attempts } = await spansOf(id);
    expect(request.name).toBe('chat router/score');
    expect(request.parentSpanId).toBeUndefined();
    expect(request.attributes).toMatchObject({
      'gen_ai.request.model': 'router/score',
      'gen_ai.response.model': 'claude-sonnet-4-5',
      'costwise.technique': 'cascade',
      'costwise.route_reason': 'cascade:score:escalated->claude-sonnet-4-5; fallback:529->claude-sonnet-4-5',
    });
    const step = (await ledger(env)).find((r) => r.requestId === `${id}.step1`)!;
    expect(Math.round(Number(request.attributes['costwise.subcalls_cost_usd']) * 1e12)).toBe(step.costPico);
    expect(attempts.map((a) => [a.attributes['costwise.attempt.purpose'], a.attributes['costwise.deployment'], a.statusCode])).toEqual([
      ['cascade_step', 'claude-haiku-4-5@anthropic-us', 0],
      ['answer', 'claude-sonnet-4-5@anthropic-eu/eu-west-1', ERROR],
      ['answer', 'claude-sonnet-4-5@anthropic-eu/eu-west-1', ERROR],
      ['answer', 'claude-sonnet-4-5@anthropic-us/us-east-1', 0],
    ]);
  });

  it('a stream’s attempt records its time to first token; a refused request’s span says why', async () => {
    const stream = env.anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'Count to three.' }] });
    await stream.finalMessage();
    const id = (await stream.withResponse()).response.headers.get('x-costwise-request-id');
    const { request, attempts } = await spansOf(id);
    expect(request.attributes['costwise.stream']).toBe(true);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attributes['gen_ai.server.time_to_first_token']).toBeGreaterThan(0);

    const refused = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(404);
    const failed = await spansOf(refused.headers.get('x-costwise-request-id'));
    expect(failed.request).toMatchObject({ statusCode: ERROR, attributes: { 'http.response.status_code': 404, 'error.type': 'not_found' } });
    expect(failed.attempts).toHaveLength(0);
  });
});

describe('traces over OTLP/HTTP protobuf (the default protocol)', () => {
  it('exports protobuf to the endpoint the environment names', async () => {
    const receiver = await startOtlpReceiver();
    const restore = otelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    let env: TestEnv | undefined;
    try {
      env = await startTestEnv({ config });
    } finally {
      restore();
    }
    try {
      const { response } = await env.anthropic.messages
        .create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      await flush(env);
      const id = response.headers.get('x-costwise-request-id')!;
      const exported = receiver.exports.filter((e) => e.headers['content-type'] === 'application/x-protobuf');
      expect(exported.length).toBeGreaterThan(0);
      // Protobuf keeps strings as their bytes: the request id and the attribute names are in there.
      const body = Buffer.concat(exported.map((e) => e.body));
      expect(body.includes(Buffer.from(id))).toBe(true);
      expect(body.includes(Buffer.from('gen_ai.usage.input_tokens'))).toBe(true);
    } finally {
      await env.close();
      await receiver.close();
    }
  });
});

describe('when tracing is on', () => {
  it('off by default, on with an OTLP endpoint or tracing.enabled, never with OTEL_SDK_DISABLED; grpc is refused by name', () => {
    expect(tracingProtocol(undefined, {})).toBeUndefined();
    expect(tracingProtocol(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' })).toBe('http/protobuf');
    expect(tracingProtocol(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/v1/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe(
      'http/json',
    );
    expect(tracingProtocol(true, {})).toBe('http/protobuf');
    expect(tracingProtocol(false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' })).toBeUndefined();
    expect(tracingProtocol(true, { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(() => tracingProtocol(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported; use http/protobuf or http/json',
    );
  });
});
