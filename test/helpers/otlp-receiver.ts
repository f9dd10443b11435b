// A local OTLP/HTTP trace receiver for tests: a node:http server that takes POST /v1/traces, in
// JSON (decoded into spans with plain attribute values) or protobuf (kept raw), and remembers the
// headers each export came with.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

const AnyValue = z.object({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: z.union([z.number(), z.string()]).optional(),
  doubleValue: z.number().optional(),
});
const KeyValue = z.object({ key: z.string(), value: AnyValue });
const SpanJson = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  kind: z.number(),
  attributes: z.array(KeyValue).default([]),
  status: z.object({ code: z.number().optional(), message: z.string().optional() }).optional(),
});
const ExportJson = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: z.array(KeyValue).default([]) }).optional(),
      scopeSpans: z.array(z.object({ spans: z.array(SpanJson).default([]) })),
    }),
  ),
});

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, AttributeValue>;
  statusCode: number;
  resource: Record<string, AttributeValue>;
}

function plain(kvs: ReadonlyArray<z.infer<typeof KeyValue>>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value: v } of kvs) {
    const value = v.stringValue ?? v.boolValue ?? v.doubleValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Each export's headers and raw body. */
  exports: Array<{ headers: IncomingHttpHeaders; body: Buffer }>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: OtlpReceiver['exports'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      exports.push({ headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers['content-type'] === 'application/json') {
        for (const rs of ExportJson.parse(JSON.parse(body.toString('utf8'))).resourceSpans) {
          const resource = plain(rs.resource?.attributes ?? []);
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
                kind: s.kind,
                attributes: plain(s.attributes),
                statusCode: s.status?.code ?? 0,
                resource,
              });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    exports,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
