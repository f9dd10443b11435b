// OpenTelemetry tracing, off unless asked for: on with `tracing.enabled: true` or when the
// standard OTLP endpoint variables are set. The exporter honours the standard environment itself
// (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT), the batch OTEL_BSP_*, the sampler
// OTEL_TRACES_SAMPLER[_ARG], the resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. Spans are
// costwise's own compact records (spans.ts), exported in batches by a timer, off the request path;
// the OpenTelemetry SDK is used at the edges only: the traceparent propagator, the samplers, the
// resource, and the OTLP/HTTP transport. No global tracer or context manager is installed.
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, type ISerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { readFileSync } from 'node:fs';
import { packageFile } from '../core/package-file.js';
import { batchHeader, encodeTraceRequest, type BatchHeader } from './otlp-protobuf.js';
import { toReadableSpan } from './readable-spans.js';
import { batchOptionsFromEnv, SpanBatcher, type Env, type RecordedSpan, type SpanRecordExporter } from './span-batcher.js';
import { hexOf } from './span-ids.js';
import { RequestTrace } from './spans.js';

export type { Env } from './span-batcher.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export class TracingConfigError extends Error {}

/** Whether tracing is on, and over which protocol; undefined when off. */
export function tracingProtocol(enabled: boolean | undefined, env: Env): OtlpProtocol | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true' || env['OTEL_TRACES_EXPORTER']?.trim() === 'none') return undefined;
  const on = enabled ?? Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  if (!on) return undefined;
  const protocol = (env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] || env['OTEL_EXPORTER_OTLP_PROTOCOL'] || 'http/protobuf').trim();
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  throw new TracingConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported; use http/protobuf or http/json`);
}

const propagator = new W3CTraceContextPropagator();

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The SDK's samplers, chosen from OTEL_TRACES_SAMPLER[_ARG] as the SDK's own tracer provider does. */
export function samplerFromEnv(env: Env): Sampler {
  const ratio = (): number => {
    const arg = env['OTEL_TRACES_SAMPLER_ARG']?.trim();
    const p = arg ? Number(arg) : NaN;
    return p >= 0 && p <= 1 ? p : 1;
  };
  switch (env['OTEL_TRACES_SAMPLER']?.trim()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export interface TracingOptions {
  sampler?: Sampler;
  batch?: Partial<ReturnType<typeof batchOptionsFromEnv>>;
}

/** What a batch exporter is given: the batch, and the spans' resource and scope in both forms. */
export interface ExportTarget {
  readonly resource: Resource;
  readonly scope: { name: string; version: string };
  readonly header: BatchHeader;
}

export class Tracing {
  private readonly batcher: SpanBatcher;
  private readonly sampler: Sampler;
  /** Every root span is sampled (the default parentbased_always_on, or always_on): no sampler call. */
  private readonly rootsAlwaysOn: boolean;

  constructor(exporter: (target: ExportTarget) => SpanRecordExporter, env: Env = process.env, options: TracingOptions = {}) {
    const version = packageVersion();
    const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'costwise', [ATTR_SERVICE_VERSION]: version }).merge(
      detectResources({ detectors: [envDetector] }),
    );
    const scope = { name: 'costwise', version };
    this.batcher = new SpanBatcher(exporter({ resource, scope, header: batchHeader(resource, scope) }), { ...batchOptionsFromEnv(env), ...options.batch });
    this.sampler = options.sampler ?? samplerFromEnv(env);
    const description = this.sampler.toString();
    this.rootsAlwaysOn = description === 'AlwaysOnSampler' || description.startsWith('ParentBased{root=AlwaysOnSampler');
  }

  /** The request's span, continuing the caller's trace when it sent a W3C `traceparent`; undefined when not sampled. */
  startRequest(headers: Readonly<Record<string, string | string[] | undefined>>): RequestTrace | undefined {
    const ids = this.batcher.ids;
    if (headers['traceparent'] === undefined) {
      const at = ids.take(24);
      const pool = ids.pool;
      if (!this.rootsAlwaysOn && !this.sampled(ROOT_CONTEXT, pool, at)) return undefined;
      return new RequestTrace(this.batcher, pool, at, false, undefined);
    }
    const parentContext: Context = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const parent = trace.getSpanContext(parentContext);
    const at = ids.take(32);
    const pool = ids.pool;
    if (parent === undefined) {
      if (!this.rootsAlwaysOn && !this.sampled(ROOT_CONTEXT, pool, at)) return undefined;
      return new RequestTrace(this.batcher, pool, at, false, undefined);
    }
    pool.write(parent.traceId, at, 16, 'hex');
    pool.write(parent.spanId, at + 24, 8, 'hex');
    if (!this.sampled(parentContext, pool, at)) return undefined;
    return new RequestTrace(this.batcher, pool, at, true, parent.traceState?.serialize() || undefined);
  }

  private sampled(parent: Context, pool: Buffer, at: number): boolean {
    const { decision } = this.sampler.shouldSample(parent, hexOf(pool, at, 16), 'chat', SpanKind.SERVER, {}, []);
    return decision === SamplingDecision.RECORD_AND_SAMPLED;
  }

  /** Exports what is buffered (tests, shutdown). */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  shutdown(): Promise<void> {
    return this.batcher.shutdown();
  }
}

/** Our encoder (otlp-protobuf.ts) for the requests; the SDK's decoder for the collector's answers. */
function protobufSerializer(header: BatchHeader): ISerializer<RecordedSpan[], IExportTraceServiceResponse> {
  return {
    serializeRequest: (spans) => encodeTraceRequest(spans, header),
    deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
  };
}

/** The SDK's OTLP/HTTP transport (configured from the OTEL_* environment) with costwise's protobuf encoder. */
function protobufExporter(target: ExportTarget): SpanRecordExporter {
  // As the SDK's own OTLP exporters build their options (0.223 exports no other way that reads the environment).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  // As the SDK's TraceExporterMetricsHelper counts a batch's spans.
  const counted = { name: 'span' as const, countItems: (spans: RecordedSpan[]) => spans.length };
  return new OTLPExporterBase(createOtlpHttpExportDelegate(options, protobufSerializer(target.header), 'otlp_http_span_exporter', counted, undefined));
}

/** http/json: the SDK's own exporter and serializer, given the records as ReadableSpans. */
function jsonExporter(target: ExportTarget): SpanRecordExporter {
  const sdk = new JsonTraceExporter();
  return {
    export: (spans, done) =>
      sdk.export(
        spans.map((s) => toReadableSpan(s, target.resource, target.scope)),
        done,
      ),
    shutdown: () => sdk.shutdown(),
  };
}

export function startTracing(enabled: boolean | undefined, env: Env = process.env): Tracing | undefined {
  const protocol = tracingProtocol(enabled, env);
  if (protocol === undefined) return undefined;
  return new Tracing(protocol === 'http/json' ? jsonExporter : protobufExporter, env);
}
