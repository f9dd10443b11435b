// OTLP trace export requests (opentelemetry/proto/collector/trace/v1) encoded straight from
// costwise's span records (spans.ts) into protobuf bytes: attribute keys are copied as prepared
// bytes, ids straight from the random pool, and the resource and scope are encoded once. The SDK's
// serializer first builds an object tree per span and hands it to a generic protobuf encoder; this
// does in about 2 µs per request (two spans) what took it ~20 (bench/observability.ts). The
// transport (endpoint, headers, retries, timeouts from the OTEL_* environment) stays the SDK's.
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Deployment } from '../config/catalog.js';
import { attemptAttributes, requestAttributes, type AttributeBlock, type AttributeKey, type AttributeWriter } from './span-attributes.js';
import { RequestTrace, type AttemptSpan } from './spans.js';

/** A growable byte buffer with the protobuf primitives; strings and ids written without native calls. */
class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

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

  /** `a b` as a string field, without making the string. */
  name(field: number, a: string, b: string): void {
    const aBytes = utf8Length(a);
    const bBytes = utf8Length(b);
    this.tag(field, 2);
    this.varint(aBytes + 1 + bBytes);
    this.raw(a, aBytes);
    this.raw(' ', 1);
    this.raw(b, bBytes);
  }

  string(field: number, s: string): void {
    const bytes = utf8Length(s);
    this.tag(field, 2);
    this.varint(bytes);
    this.raw(s, bytes);
  }

  /** A fixed64 of nanoseconds since the epoch, `seconds` whole seconds and `nanos` more, in exact double arithmetic. */
  time(field: number, seconds: number, nanos: number): void {
    this.tag(field, 1);
    this.room(8);
    // seconds × 1e9 + nanos exceeds 2^53: split seconds into 16-bit halves so every product is exact.
    const high = Math.floor(seconds / 65536);
    const lowSeconds = seconds - high * 65536;
    const h = high * 1e9; // contributes h × 2^16
    const q = Math.floor(h / 65536);
    let lo = (h - q * 65536) * 65536 + lowSeconds * 1e9 + nanos;
    const carry = Math.floor(lo / 4294967296);
    lo -= carry * 4294967296;
    this.pos = this.buf.writeUInt32LE(lo, this.pos);
    this.pos = this.buf.writeUInt32LE(q + carry, this.pos);
  }

  /** `n` bytes of `from` at `at` as a bytes field (the ids). */
  bytes(field: number, from: Uint8Array, at: number, n: number): void {
    this.tag(field, 2);
    this.varint(n);
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = from[at + i]!;
    this.pos = p;
  }

  copy(from: Uint8Array): void {
    const n = from.length;
    this.room(n);
    this.buf.set(from, this.pos);
    this.pos += n;
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

/** Any attributes as KeyValues (key 1, value 2): the resource's, encoded once per exporter. */
function attributes(w: Writer, field: number, attrs: Attributes): void {
  for (const key in attrs) {
    const value = attrs[key];
    if (value === undefined) continue;
    const kv = w.begin(field);
    w.string(1, key);
    const any = w.begin(2);
    anyValue(w, value);
    w.end(any);
    w.end(kv);
  }
}

// Bounded: a value can come from the caller (the model asked for).
const MAX_CACHED_VALUES = 256;
const MAX_CACHED_BYTES = 256;

/** The encoded attribute blocks per block writer, deployment (config objects, long-lived) and extra value. */
const blocks = new Map<AttributeBlock<never>, WeakMap<Deployment, Map<string | undefined, Uint8Array>>>();

/** A span's attributes (field 9), each KeyValue's size known ahead so none needs a length slot. */
class SpanAttributes implements AttributeWriter {
  constructor(private readonly w: Writer) {}

  block<T extends string | undefined>(d: Deployment, extra: T, write: AttributeBlock<T>): void {
    let byExtra = blocks.get(write);
    if (byExtra === undefined) blocks.set(write, (byExtra = new WeakMap<Deployment, Map<string | undefined, Uint8Array>>()));
    let cached = byExtra.get(d);
    if (cached === undefined) byExtra.set(d, (cached = new Map<string | undefined, Uint8Array>()));
    const bytes = cached.get(extra);
    if (bytes !== undefined) {
      this.w.copy(bytes);
      return;
    }
    const start = this.w.pos;
    write(d, extra, this);
    cached.set(extra, Uint8Array.prototype.slice.call(this.w.buf, start, this.w.pos));
  }

  private open(key: AttributeKey, anyLength: number): void {
    const w = this.w;
    const kvLength = key.field.length + 1 + varintLength(anyLength) + anyLength;
    w.tag(9, 2);
    w.varint(kvLength);
    w.copy(key.field);
    w.tag(2, 2);
    w.varint(anyLength);
  }

  string(key: AttributeKey, value: string): void {
    const cached = key.encoded?.get(value);
    if (cached !== undefined) {
      this.w.copy(cached);
      return;
    }
    const start = this.w.pos;
    const bytes = utf8Length(value);
    this.open(key, 1 + varintLength(bytes) + bytes);
    this.w.tag(1, 2);
    this.w.varint(bytes);
    this.w.raw(value, bytes);
    // Most values recur (models, deployments, techniques): their whole KeyValue is kept to copy next time.
    if (key.encoded !== undefined && key.encoded.size < MAX_CACHED_VALUES && bytes <= MAX_CACHED_BYTES)
      key.encoded.set(value, Uint8Array.prototype.slice.call(this.w.buf, start, this.w.pos));
  }

  number(key: AttributeKey, value: number): void {
    if (Number.isSafeInteger(value) && value >= 0) {
      this.open(key, 1 + varintLength(value));
      this.w.tag(3, 0);
      this.w.varint(value);
    } else if (Number.isSafeInteger(value)) {
      this.open(key, 11);
      this.w.tag(3, 0);
      this.w.varintBig(BigInt.asUintN(64, BigInt(value)));
    } else {
      this.open(key, 9);
      this.w.double(4, value);
    }
  }

  boolean(key: AttributeKey, value: boolean): void {
    this.open(key, 2);
    this.w.tag(2, 0);
    this.w.varint(value ? 1 : 0);
  }
}

/** Epoch time of `performance.now()` readings, as the SDK takes it: the time origin plus the reading. */
const ORIGIN_SECONDS = Math.floor(performance.timeOrigin / 1000);
const ORIGIN_NANOS = Math.round((performance.timeOrigin - ORIGIN_SECONDS * 1000) * 1e6);

export function epochTime(now: number): [seconds: number, nanos: number] {
  const s = Math.floor(now / 1000);
  const nanos = ORIGIN_NANOS + Math.round((now - s * 1000) * 1e6);
  return nanos >= 1e9 ? [ORIGIN_SECONDS + s + 1, nanos - 1e9] : [ORIGIN_SECONDS + s, nanos];
}

function time(w: Writer, field: number, now: number): void {
  const s = Math.floor(now / 1000);
  const nanos = ORIGIN_NANOS + Math.round((now - s * 1000) * 1e6);
  if (nanos >= 1e9) w.time(field, ORIGIN_SECONDS + s + 1, nanos - 1e9);
  else w.time(field, ORIGIN_SECONDS + s, nanos);
}

const SERVER = 2; // OTLP's SpanKind counts UNSPECIFIED as 0
const CLIENT = 3;
const STATUS_ERROR = 2;
const SAMPLED = 1;

// Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6, start 7, end 8,
// attributes 9, status 15 (message 2, code 3), flags 16.
function span(w: Writer, attrs: SpanAttributes, s: RequestTrace | AttemptSpan): void {
  const request = s instanceof RequestTrace ? s : s.request;
  w.bytes(1, request.pool, request.at, 16);
  if (s === request) {
    const summary = request.summary!;
    w.bytes(2, request.pool, request.at + 16, 8);
    if (request.traceState) w.string(3, request.traceState);
    if (request.remoteParent) w.bytes(4, request.pool, request.at + 24, 8);
    w.name(5, summary.operation, summary.requestModel); // requestSpanName, without a concatenated string
    w.tag(6, 0);
    w.varint(SERVER);
    time(w, 7, request.start);
    time(w, 8, request.end);
    requestAttributes(summary, attrs);
    if (summary.errorKind !== undefined) status(w, summary.errorKind);
    // flags: the W3C trace flags, and that the parent's remoteness is known (bit 8) and whether it is (bit 9).
    w.fixed32(16, SAMPLED | 0x100 | (request.remoteParent ? 0x200 : 0));
    return;
  }
  const a = s as AttemptSpan;
  w.bytes(2, a.pool, a.at, 8);
  if (request.traceState) w.string(3, request.traceState);
  w.bytes(4, request.pool, request.at + 16, 8);
  w.name(5, 'chat', a.deployment.upstreamModel); // attemptSpanName
  w.tag(6, 0);
  w.varint(CLIENT);
  time(w, 7, a.start);
  time(w, 8, a.end);
  attemptAttributes(a, attrs);
  if (a.errorType !== undefined) status(w, a.errorMessage);
  w.fixed32(16, SAMPLED | 0x100);
}

function status(w: Writer, message: string | undefined): void {
  const at = w.begin(15);
  if (message) w.string(2, message);
  w.tag(3, 0);
  w.varint(STATUS_ERROR);
  w.end(at);
}

/** The resource and scope of every span an exporter sends, encoded once. */
export interface BatchHeader {
  /** ResourceSpans.resource (field 1), tag and length included. */
  readonly resource: Uint8Array;
  /** ScopeSpans.scope (field 1), tag and length included. */
  readonly scope: Uint8Array;
  /** ResourceSpans.schema_url (field 3), tag and length included; empty when there is none. */
  readonly schemaUrl: Uint8Array;
}

export function batchHeader(resource: { attributes: Attributes; schemaUrl?: string | undefined }, scope: InstrumentationScope): BatchHeader {
  const bytes = (write: (w: Writer) => void): Uint8Array => {
    const w = new Writer(1024);
    write(w);
    return Uint8Array.from(w.buf.subarray(0, w.pos));
  };
  return {
    resource: bytes((w) => {
      const r = w.begin(1);
      attributes(w, 1, resource.attributes);
      w.end(r);
    }),
    scope: bytes((w) => {
      const sc = w.begin(1);
      w.string(1, scope.name);
      if (scope.version) w.string(2, scope.version);
      w.end(sc);
    }),
    schemaUrl: bytes((w) => {
      if (resource.schemaUrl) w.string(3, resource.schemaUrl);
    }),
  };
}

/** ExportTraceServiceRequest: resource_spans 1 → (resource 1; scope_spans 2 → (scope 1; spans 2); schema_url 3). */
export function encodeTraceRequest(spans: ReadonlyArray<RequestTrace | AttemptSpan>, header: BatchHeader): Uint8Array {
  // About 500 bytes a span (a request's is larger, an attempt's smaller): one buffer, seldom grown.
  const w = new Writer(header.resource.length + 256 + spans.length * 640);
  const resourceSpans = w.begin(1);
  w.copy(header.resource);
  const scopeSpans = w.begin(2);
  w.copy(header.scope);
  const attrs = new SpanAttributes(w);
  for (const s of spans) {
    const at = w.begin(2);
    span(w, attrs, s);
    w.end(at);
  }
  w.end(scopeSpans);
  w.copy(header.schemaUrl);
  w.end(resourceSpans);
  return w.buf.subarray(0, w.pos);
}
