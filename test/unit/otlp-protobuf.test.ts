// costwise's OTLP protobuf encoder (src/telemetry/otlp-protobuf.ts) against the OpenTelemetry SDK's
// own serializer: the same spans — costwise's span records, given to the SDK as ReadableSpans
// (readable-spans.ts, what the http/json export sends) — decode to the same protobuf fields, except
// the zero defaults the SDK writes out and proto3 leaves implicit. Spans with every kind of value
// they carry: strings with non-ASCII characters, large integers, doubles, booleans, an error status
// with a message, a remote parent with a tracestate from a traceparent.
import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ExportResultCode } from '@opentelemetry/core';
import { Tracing, type ExportTarget } from '../../src/telemetry/tracing.js';
import { encodeTraceRequest } from '../../src/telemetry/otlp-protobuf.js';
import { toReadableSpan } from '../../src/telemetry/readable-spans.js';
import type { RecordedSpan } from '../../src/telemetry/span-batcher.js';
import type { Deployment } from '../../src/config/catalog.js';

type Field = [number, bigint | string | Field[]];

/** A schema-free decoding: a length-delimited field is read as a message when it parses as one, else as hex. */
function decode(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): bigint => {
    let r = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (p >= buf.length || shift > 63n) throw new Error('truncated varint');
      const b = buf[p++]!;
      r |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return r;
    }
  };
  const take = (n: number): Uint8Array => {
    if (p + n > buf.length) throw new Error('truncated');
    const s = buf.subarray(p, p + n);
    p += n;
    return s;
  };
  while (p < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (field === 0) throw new Error('field 0');
    if (wire === 0) out.push([field, varint()]);
    else if (wire === 1) out.push([field, Buffer.from(take(8)).toString('hex')]);
    else if (wire === 5) out.push([field, Buffer.from(take(4)).toString('hex')]);
    else if (wire === 2) {
      const bytes = take(Number(varint()));
      let inner: Field[] | undefined;
      try {
        inner = decode(bytes);
      } catch {
        inner = undefined;
      }
      out.push([field, inner ?? Buffer.from(bytes).toString('hex')]);
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

/** proto3 leaves zero defaults implicit: drop zero varints and the messages that are empty without them. */
function withoutDefaults(fields: Field[]): Field[] {
  const out: Field[] = [];
  for (const [f, v] of fields) {
    if (v === 0n) continue;
    if (Array.isArray(v)) {
      const inner = withoutDefaults(v);
      if (inner.length === 0 && v.length > 0) continue;
      out.push([f, inner]);
    } else out.push([f, v]);
  }
  return out;
}

const deployment = {
  key: 'claude-sonnet-4-5@anthropic-eu/eu-west-1',
  name: 'claude-sonnet-4-5',
  upstreamModel: 'claude-sonnet-4-5',
  provider: { kind: 'anthropic', name: 'anthropic-eu' },
} as unknown as Deployment;

async function finishedSpans(): Promise<{ spans: RecordedSpan[]; target: ExportTarget }> {
  const spans: RecordedSpan[] = [];
  let target: ExportTarget | undefined;
  const tracing = new Tracing(
    (t) => {
      target = t;
      return {
        export: (s, done) => {
          spans.push(...s);
          done({ code: ExportResultCode.SUCCESS });
        },
        shutdown: () => Promise.resolve(),
      };
    },
    { OTEL_SERVICE_NAME: 'costwise-ünit' },
  );
  const parents = [undefined, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'];
  for (const traceparent of parents) {
    const headers = traceparent ? { traceparent, tracestate: 'vendor=a1,other=2' } : {};
    const request = tracing.startRequest(headers)!;
    const step = request.attempt(deployment, 'cascade_step');
    step.failed('overloaded', 529, 'overloaded ✗');
    const answer = request.attempt(deployment, 'answer');
    answer.timeToFirstToken = 0.125;
    answer.succeeded('claude-sonnet-4-5-20250929');
    request.finish({
      requestId: 'req_01JX',
      operation: traceparent ? 'chat' : 'embeddings',
      requestModel: 'router/score',
      deployment,
      usage: { inputTokens: 2 ** 40, cacheReadTokens: 300, cacheWrite5mTokens: 40, cacheWrite1hTokens: 2, outputTokens: 77, reasoningTokens: 12 },
      costPico: 3_456_789_012,
      baselinePico: 9_000_000_000_000,
      subCallCostPico: 12_345,
      technique: 'cascade',
      routeReason: 'cascade:score:escalated->claude-sonnet-4-5 → ok',
      cache: 'miss',
      status: traceparent ? 200 : 529,
      errorKind: traceparent ? undefined : 'overloaded',
      stream: traceparent !== undefined,
    });
  }
  await tracing.flush();
  return { spans, target: target! };
}

function sdkEncoding(spans: RecordedSpan[], target: ExportTarget): Uint8Array {
  return ProtobufTraceSerializer.serializeRequest(spans.map((s) => toReadableSpan(s, target.resource, target.scope)))!;
}

describe('OTLP protobuf encoding', () => {
  it('decodes to the same fields as the SDK’s serializer', async () => {
    const { spans, target } = await finishedSpans();
    expect(spans).toHaveLength(6);
    const ours = decode(encodeTraceRequest(spans, target.header));
    const sdk = decode(sdkEncoding(spans, target));
    expect(withoutDefaults(ours)).toEqual(withoutDefaults(sdk));
    // a second encoding copies the recurring values' KeyValues it kept from the first: the same bytes
    expect(Buffer.from(encodeTraceRequest(spans, target.header))).toEqual(Buffer.from(encodeTraceRequest(spans, target.header)));
    // and it is not vacuous: the request id, a remote parent's span id and the tracestate are in there
    const bytes = Buffer.from(encodeTraceRequest(spans, target.header));
    expect(bytes.includes(Buffer.from('vendor=a1,other=2'))).toBe(true);
    expect(bytes.includes(Buffer.from('req_01JX'))).toBe(true);
    expect(bytes.includes(Buffer.from('b7ad6b7169203331', 'hex'))).toBe(true);
  });

  it('grows its buffer for a large export', async () => {
    const { spans, target } = await finishedSpans();
    const many = Array.from({ length: 400 }, () => spans).flat();
    expect(withoutDefaults(decode(encodeTraceRequest(many, target.header)))).toEqual(withoutDefaults(decode(sdkEncoding(many, target))));
  });
});
