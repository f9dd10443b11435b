// costwise's OTLP protobuf encoder (src/telemetry/otlp-protobuf.ts) against the OpenTelemetry SDK's
// own serializer: the same spans decode to the same protobuf fields, except the zero defaults the
// SDK writes out and proto3 leaves implicit. Spans with every kind of value: strings with non-ASCII
// characters, negative and large integers, doubles, booleans, arrays, an event, an error status, a
// remote parent from a traceparent.
import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { Tracing } from '../../src/telemetry/tracing.js';
import { encodeTraceRequest } from '../../src/telemetry/otlp-protobuf.js';
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

async function finishedSpans(): Promise<ReadableSpan[]> {
  const spans: ReadableSpan[] = [];
  const tracing = new Tracing({
    export: (s, done) => {
      spans.push(...s);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  });
  for (const traceparent of [undefined, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']) {
    const request = tracing.startRequest(traceparent ? { traceparent } : {});
    const attempt = request.attempt(deployment, 'cascade_step');
    attempt.setAttributes({ negative: -5, large: 2 ** 40, ratio: 0.25, flag: false, list: ['a', 'é'], numbers: [1, 2.5] });
    attempt.addEvent('retry', { 'retry.after_ms': 1200, reason: 'überlastet' });
    attempt.setStatus({ code: SpanStatusCode.ERROR, message: 'overloaded ✗' });
    attempt.end();
    request.end({
      requestId: 'req_01JX',
      operation: 'chat',
      requestModel: 'router/score',
      deployment,
      usage: { inputTokens: 1200, cacheReadTokens: 300, cacheWrite5mTokens: 40, cacheWrite1hTokens: 2, outputTokens: 77, reasoningTokens: 12 },
      costPico: 3_456_789_012,
      baselinePico: 9_000_000_000,
      subCallCostPico: 12_345,
      technique: 'cascade',
      routeReason: 'cascade:score:escalated->claude-sonnet-4-5 → ok',
      cache: 'miss',
      status: 200,
      errorKind: undefined,
      stream: true,
    });
  }
  await tracing.flush();
  return spans;
}

describe('OTLP protobuf encoding', () => {
  it('decodes to the same fields as the SDK’s serializer', async () => {
    const spans = await finishedSpans();
    expect(spans).toHaveLength(4);
    const ours = decode(encodeTraceRequest(spans));
    const sdk = decode(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(withoutDefaults(ours)).toEqual(withoutDefaults(sdk));
    // and it is not vacuous: the request id and a remote parent's span id are in there
    const bytes = Buffer.from(encodeTraceRequest(spans));
    expect(bytes.includes(Buffer.from('req_01JX'))).toBe(true);
    expect(bytes.includes(Buffer.from('b7ad6b7169203331', 'hex'))).toBe(true);
  });

  it('grows its buffer for a large export', async () => {
    const spans = await finishedSpans();
    const many = Array.from({ length: 40 }, () => spans).flat();
    expect(withoutDefaults(decode(encodeTraceRequest(many)))).toEqual(withoutDefaults(decode(ProtobufTraceSerializer.serializeRequest(many)!)));
  });
});
