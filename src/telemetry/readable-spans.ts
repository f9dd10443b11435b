// costwise's span records (spans.ts) as the SDK's ReadableSpans, built when a batch is exported:
// for the SDK's OTLP/HTTP JSON exporter (http/json, rarely used, stays on the SDK's serializer),
// and for checking the protobuf encoder against the SDK's own serializer.
import { SpanKind, SpanStatusCode, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { hrTimeDuration, TraceState, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Deployment } from '../config/catalog.js';
import { epochTime } from './otlp-protobuf.js';
import {
  attemptAttributes,
  attemptSpanName,
  requestAttributes,
  requestSpanName,
  type AttributeBlock,
  type AttributeKey,
  type AttributeWriter,
} from './span-attributes.js';
import { hexOf } from './span-ids.js';
import { RequestTrace, type AttemptSpan } from './spans.js';

class AttributeObject implements AttributeWriter {
  readonly attributes: Attributes = {};

  block<T extends string | undefined>(d: Deployment, extra: T, write: AttributeBlock<T>): void {
    write(d, extra, this);
  }

  string(key: AttributeKey, value: string): void {
    this.attributes[key.name] = value;
  }

  number(key: AttributeKey, value: number): void {
    this.attributes[key.name] = value;
  }

  boolean(key: AttributeKey, value: boolean): void {
    this.attributes[key.name] = value;
  }
}

const SAMPLED = 1;

function contextOf(request: RequestTrace, pool: Buffer, at: number, isRemote?: boolean): SpanContext {
  const traceState = request.traceState ? new TraceState(request.traceState) : undefined;
  return {
    traceId: hexOf(request.pool, request.at, 16),
    spanId: hexOf(pool, at, 8),
    traceFlags: SAMPLED,
    ...(traceState !== undefined && { traceState }),
    ...(isRemote !== undefined && { isRemote }),
  };
}

export function toReadableSpan(s: RequestTrace | AttemptSpan, resource: Resource, instrumentationScope: InstrumentationScope): ReadableSpan {
  const request = s instanceof RequestTrace ? s : s.request;
  const attrs = new AttributeObject();
  let name: string;
  let errorMessage: string | undefined;
  let parentSpanContext: SpanContext | undefined;
  if (s === request) {
    const summary = request.summary!;
    requestAttributes(summary, attrs);
    name = requestSpanName(summary).join(' ');
    errorMessage = summary.errorKind;
    if (request.remoteParent) parentSpanContext = contextOf(request, request.pool, request.at + 24, true);
  } else {
    const a = s as AttemptSpan;
    attemptAttributes(a, attrs);
    name = attemptSpanName(a).join(' ');
    errorMessage = a.errorType !== undefined ? a.errorMessage : undefined;
    parentSpanContext = contextOf(request, request.pool, request.at + 16);
  }
  const own = s === request ? contextOf(request, request.pool, request.at + 16) : contextOf(request, (s as AttemptSpan).pool, (s as AttemptSpan).at);
  const startTime: HrTime = epochTime(s.start);
  const endTime: HrTime = epochTime(s.end);
  return {
    name,
    kind: s === request ? SpanKind.SERVER : SpanKind.CLIENT,
    spanContext: () => own,
    parentSpanContext,
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    status: errorMessage !== undefined ? { code: SpanStatusCode.ERROR, message: errorMessage } : { code: SpanStatusCode.UNSET },
    attributes: attrs.attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
