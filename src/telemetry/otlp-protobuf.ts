// OTLP trace export requests (opentelemetry/proto/collector/trace/v1) encoded straight from the
// SDK's finished spans into protobuf bytes. The SDK's own serializer first builds an intermediate
// object tree and hands it to a generic protobuf encoder, which cost ~20 µs per request of ours in
// CPU (bench/observability.ts) — most of what tracing added. The transport (endpoint, headers,
// retries, timeouts from the OTEL_* environment) stays the SDK's; only the bytes are made here.
// Covers what a span can carry: attributes of every value type, events, links, status, flags.
import { SpanStatusCode, type Attributes, type AttributeValue, type HrTime, type Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** A growable byte buffer with the protobuf primitives; strings and ids written without native calls. */
class Writer {
  buf = Buffer.allocUnsafe(16384);
  pos = 0;

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(n: number): void {
    this.room(10);
    const buf = this.buf;
    while (n > 0x7f) {
      buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[this.pos++] = n;
  }

  varintBig(n: bigint): void {
    this.room(10);
    while (n > 0x7fn) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** The string's UTF-8 bytes (written raw after its length). */
  raw(s: string, bytes: number): void {
    this.room(bytes);
    if (bytes !== s.length) {
      this.pos += this.buf.write(s, this.pos, 'utf8');
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  string(field: number, s: string): void {
    const bytes = utf8Length(s);
    this.tag(field, 2);
    this.varint(bytes);
    this.raw(s, bytes);
  }

  hexBytes(field: number, hex: string): void {
    const n = hex.length >> 1;
    this.tag(field, 2);
    this.varint(n);
    this.room(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[this.pos++] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
  }

  /** A fixed64 of nanoseconds since the epoch from an HrTime, in exact double arithmetic. */
  time(field: number, t: HrTime): void {
    this.tag(field, 1);
    this.room(8);
    // seconds × 1e9 + nanos exceeds 2^53: split seconds into 16-bit halves so every product is exact.
    const high = Math.floor(t[0] / 65536);
    const lowSeconds = t[0] - high * 65536;
    const h = high * 1e9; // contributes h × 2^16
    const q = Math.floor(h / 65536);
    let lo = (h - q * 65536) * 65536 + lowSeconds * 1e9 + t[1];
    const carry = Math.floor(lo / 4294967296);
    lo -= carry * 4294967296;
    this.pos = this.buf.writeUInt32LE(lo, this.pos);
    this.pos = this.buf.writeUInt32LE(q + carry, this.pos);
  }

  fixed32(field: number, value: number): void {
    this.tag(field, 5);
    this.room(4);
    this.pos = this.buf.writeUInt32LE(value >>> 0, this.pos);
  }

  double(field: number, value: number): void {
    this.tag(field, 1);
    this.room(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** Opens a length-delimited sub-message of unknown size: a 5-byte length slot, closed by `end`. */
  begin(field: number): number {
    this.tag(field, 2);
    this.room(5);
    this.pos += 5;
    return this.pos;
  }

  end(start: number): void {
    const len = this.pos - start;
    const lenBytes = varintLength(len);
    let p = start - 5;
    for (let n = len; n > 0x7f; n = Math.floor(n / 128)) this.buf[p++] = (n & 0x7f) | 0x80;
    this.buf[p++] = Math.floor(len / 128 ** (lenBytes - 1));
    if (lenBytes < 5) this.buf.copyWithin(p, start, this.pos);
    this.pos -= 5 - lenBytes;
  }
}

function hexDigit(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function varintLength(n: number): number {
  let bytes = 1;
  for (; n > 0x7f; n = Math.floor(n / 128)) bytes++;
  return bytes;
}

function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return s.length;
}

// AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4, array_value 5 (ArrayValue.values 1).
function anyValue(w: Writer, v: AttributeValue | null | undefined): void {
  if (typeof v === 'string') w.string(1, v);
  else if (typeof v === 'boolean') {
    w.tag(2, 0);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) {
      w.tag(3, 0);
      w.varint(v);
    } else if (Number.isSafeInteger(v)) {
      w.tag(3, 0);
      w.varintBig(BigInt.asUintN(64, BigInt(v))); // a negative int64: two's complement, ten bytes
    } else w.double(4, v);
  } else if (Array.isArray(v)) {
    const array = w.begin(5);
    for (const item of v as ReadonlyArray<AttributeValue | null | undefined>) {
      const value = w.begin(1);
      anyValue(w, item);
      w.end(value);
    }
    w.end(array);
  }
}

// KeyValue: key 1, value 2. A string value's size is known ahead, so it needs no length slot.
function attributes(w: Writer, field: number, attrs: Attributes): void {
  for (const key in attrs) {
    const value = attrs[key];
    if (value === undefined) continue;
    const keyBytes = utf8Length(key);
    if (typeof value === 'string') {
      const valueBytes = utf8Length(value);
      const anyLength = 1 + varintLength(valueBytes) + valueBytes;
      w.tag(field, 2);
      w.varint(1 + varintLength(keyBytes) + keyBytes + 1 + varintLength(anyLength) + anyLength);
      w.tag(1, 2);
      w.varint(keyBytes);
      w.raw(key, keyBytes);
      w.tag(2, 2);
      w.varint(anyLength);
      w.tag(1, 2);
      w.varint(valueBytes);
      w.raw(value, valueBytes);
      continue;
    }
    const kv = w.begin(field);
    w.tag(1, 2);
    w.varint(keyBytes);
    w.raw(key, keyBytes);
    const any = w.begin(2);
    anyValue(w, value);
    w.end(any);
    w.end(kv);
  }
}

function event(w: Writer, e: TimedEvent): void {
  w.time(1, e.time);
  w.string(2, e.name);
  if (e.attributes) attributes(w, 3, e.attributes);
  if (e.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(e.droppedAttributesCount);
  }
}

function link(w: Writer, l: Link): void {
  w.hexBytes(1, l.context.traceId);
  w.hexBytes(2, l.context.spanId);
  const state = l.context.traceState?.serialize();
  if (state) w.string(3, state);
  if (l.attributes) attributes(w, 4, l.attributes);
  if (l.droppedAttributesCount) {
    w.tag(5, 0);
    w.varint(l.droppedAttributesCount);
  }
}

// Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6, start 7, end 8,
// attributes 9, dropped_attributes_count 10, events 11, dropped_events_count 12, links 13,
// dropped_links_count 14, status 15 (message 2, code 3), flags 16.
function span(w: Writer, s: ReadableSpan): void {
  const ctx = s.spanContext();
  w.hexBytes(1, ctx.traceId);
  w.hexBytes(2, ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) w.string(3, state);
  const parent = s.parentSpanContext;
  if (parent !== undefined) w.hexBytes(4, parent.spanId);
  w.string(5, s.name);
  w.tag(6, 0);
  w.varint(s.kind + 1); // OTLP's SpanKind counts UNSPECIFIED as 0
  w.time(7, s.startTime);
  w.time(8, s.endTime);
  attributes(w, 9, s.attributes);
  if (s.droppedAttributesCount) {
    w.tag(10, 0);
    w.varint(s.droppedAttributesCount);
  }
  for (const e of s.events) {
    const at = w.begin(11);
    event(w, e);
    w.end(at);
  }
  if (s.droppedEventsCount) {
    w.tag(12, 0);
    w.varint(s.droppedEventsCount);
  }
  for (const l of s.links) {
    const at = w.begin(13);
    link(w, l);
    w.end(at);
  }
  if (s.droppedLinksCount) {
    w.tag(14, 0);
    w.varint(s.droppedLinksCount);
  }
  if (s.status.code !== SpanStatusCode.UNSET) {
    const at = w.begin(15);
    if (s.status.message) w.string(2, s.status.message);
    w.tag(3, 0);
    w.varint(s.status.code);
    w.end(at);
  }
  // flags: the W3C trace flags, and that the parent's remoteness is known (bit 8) and whether it is (bit 9).
  w.fixed32(16, ctx.traceFlags | 0x100 | (parent?.isRemote ? 0x200 : 0));
}

/** ExportTraceServiceRequest: resource_spans 1 → (resource 1 → attributes 1; scope_spans 2 → (scope 1; spans 2)). */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const byResource = new Map<ReadableSpan['resource'], Map<ReadableSpan['instrumentationScope'], ReadableSpan[]>>();
  for (const s of spans) {
    let byScope = byResource.get(s.resource);
    if (byScope === undefined) byResource.set(s.resource, (byScope = new Map<ReadableSpan['instrumentationScope'], ReadableSpan[]>()));
    const list = byScope.get(s.instrumentationScope);
    if (list === undefined) byScope.set(s.instrumentationScope, [s]);
    else list.push(s);
  }
  const w = new Writer();
  for (const [resource, byScope] of byResource) {
    const resourceSpans = w.begin(1);
    const r = w.begin(1);
    attributes(w, 1, resource.attributes);
    w.end(r);
    for (const [scope, list] of byScope) {
      const scopeSpans = w.begin(2);
      const sc = w.begin(1);
      w.string(1, scope.name);
      if (scope.version) w.string(2, scope.version);
      w.end(sc);
      for (const s of list) {
        const at = w.begin(2);
        span(w, s);
        w.end(at);
      }
      w.end(scopeSpans);
    }
    if (resource.schemaUrl) w.string(3, resource.schemaUrl);
    w.end(resourceSpans);
  }
  return w.buf.subarray(0, w.pos);
}
