// OpenTelemetry tracing, off unless asked for: on with `tracing.enabled: true` or when the
// standard OTLP endpoint variables are set. The exporter honours the standard environment itself
// (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT), the batch processor OTEL_BSP_*, the
// resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. Spans are exported in batches by a
// timer, off the request path; no global tracer or context manager is installed.
import { defaultTextMapGetter, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper, type ISerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { readFileSync } from 'node:fs';
import { packageFile } from '../core/package-file.js';
import { RequestTrace } from './spans.js';
import { encodeTraceRequest } from './otlp-protobuf.js';

export type Env = Readonly<Record<string, string | undefined>>;

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

export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer;

  constructor(exporter: SpanExporter) {
    const version = packageVersion();
    const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'costwise', [ATTR_SERVICE_VERSION]: version }).merge(
      detectResources({ detectors: [envDetector] }),
    );
    this.provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
    this.tracer = this.provider.getTracer('costwise', version);
  }

  /** The request's span, continuing the caller's trace when it sent a W3C `traceparent`. */
  startRequest(headers: Readonly<Record<string, string | string[] | undefined>>): RequestTrace {
    const parent: Context = headers['traceparent'] === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return new RequestTrace(this.tracer, parent);
  }

  /** Exports what is buffered (tests, shutdown). */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** Our encoder (otlp-protobuf.ts) for the requests; the SDK's decoder for the collector's answers. */
const protobufSerializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest: encodeTraceRequest,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

/** The SDK's OTLP/HTTP exporter (configured from the OTEL_* environment) with costwise's protobuf encoder. */
function protobufExporter(): SpanExporter {
  // As the SDK's own OTLP exporters build their options (0.223 exports no other way that reads the environment).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  return new OTLPExporterBase(createOtlpHttpExportDelegate(options, protobufSerializer, 'otlp_http_span_exporter', TraceExporterMetricsHelper, undefined));
}

export function startTracing(enabled: boolean | undefined, env: Env = process.env): Tracing | undefined {
  const protocol = tracingProtocol(enabled, env);
  if (protocol === undefined) return undefined;
  return new Tracing(protocol === 'http/json' ? new JsonTraceExporter() : protobufExporter());
}
