// The attributes of costwise's spans, written once here for both exports: the protobuf encoder
// (otlp-protobuf.ts) and the SDK's JSON exporter (readable-spans.ts) each pass a writer. Keys are
// made once, with their protobuf bytes, so the encoder copies them rather than encoding strings.
// The gen_ai.* names are still "development" in semconv, so they are spelt here rather than
// imported from its incubating entry.
import { PICO_PER_USD } from '../cost/money.js';
import type { Deployment } from '../config/catalog.js';
import { genAiProvider, type AttemptPurpose, type AttemptSpan, type RequestSummary } from './spans.js';

/** An attribute key with its protobuf KeyValue.key field (tag, length, UTF-8 bytes) ready to copy. */
export class AttributeKey {
  readonly field: Uint8Array;
  /** The encoder's whole span-attribute KeyValue per string value seen, for keys whose values recur. */
  readonly encoded: Map<string, Uint8Array> | undefined;

  constructor(
    readonly name: string,
    valuesRecur = true,
  ) {
    this.encoded = valuesRecur ? new Map() : undefined;
    const bytes = Buffer.from(name, 'utf8');
    if (bytes.length > 127) throw new Error(`attribute key too long: ${name}`);
    this.field = Uint8Array.of(0x0a, bytes.length, ...bytes);
  }
}

/** Attributes that follow from a deployment (and a second value) alone: the encoder keeps their bytes. */
export type AttributeBlock<T> = (d: Deployment, extra: T, w: AttributeWriter) => void;

export interface AttributeWriter {
  /** Writes what `write` writes; the protobuf encoder does it once per deployment and `extra`, then copies. */
  block<T extends string | undefined>(d: Deployment, extra: T, write: AttributeBlock<T>): void;
  string(key: AttributeKey, value: string): void;
  /** Written as an int when it is a safe integer, else as a double (as the SDK's serializer does). */
  number(key: AttributeKey, value: number): void;
  boolean(key: AttributeKey, value: boolean): void;
}

const k = (name: string, valuesRecur = true): AttributeKey => new AttributeKey(name, valuesRecur);
const OPERATION = k('gen_ai.operation.name');
const PROVIDER = k('gen_ai.provider.name');
const REQUEST_MODEL = k('gen_ai.request.model');
const RESPONSE_MODEL = k('gen_ai.response.model');
const INPUT_TOKENS = k('gen_ai.usage.input_tokens');
const OUTPUT_TOKENS = k('gen_ai.usage.output_tokens');
const CACHE_READ_TOKENS = k('gen_ai.usage.cache_read.input_tokens');
const CACHE_CREATION_TOKENS = k('gen_ai.usage.cache_creation.input_tokens');
const REASONING_TOKENS = k('gen_ai.usage.reasoning.output_tokens');
const USAGE_COST = k('gen_ai.usage.cost');
const TIME_TO_FIRST_TOKEN = k('gen_ai.server.time_to_first_token');
const HTTP_STATUS = k('http.response.status_code');
const ERROR_TYPE = k('error.type');
const REQUEST_ID = k('costwise.request_id', false);
const STREAM = k('costwise.stream');
const COSTWISE_PROVIDER = k('costwise.provider');
const COST = k('costwise.cost_usd');
const SUBCALLS_COST = k('costwise.subcalls_cost_usd');
const BASELINE = k('costwise.baseline_usd');
const TECHNIQUE = k('costwise.technique');
const ROUTE_REASON = k('costwise.route_reason');
const CACHE = k('costwise.cache');
const DEPLOYMENT = k('costwise.deployment');
const PURPOSE = k('costwise.attempt.purpose');

/** `gen_ai.usage.input_tokens` counts every input token, cached or not, as the conventions ask. */
export function requestAttributes(s: RequestSummary, w: AttributeWriter): void {
  w.string(OPERATION, s.operation);
  w.string(REQUEST_MODEL, s.requestModel);
  w.string(REQUEST_ID, s.requestId);
  if (s.stream) w.boolean(STREAM, true);
  w.number(HTTP_STATUS, s.status);
  if (s.deployment !== undefined) w.block(s.deployment, undefined, servedByAttributes);
  const u = s.usage;
  if (u !== undefined) {
    const cacheWrite = u.cacheWrite5mTokens + u.cacheWrite1hTokens;
    w.number(INPUT_TOKENS, u.inputTokens + u.cacheReadTokens + cacheWrite);
    w.number(OUTPUT_TOKENS, u.outputTokens);
    w.number(CACHE_READ_TOKENS, u.cacheReadTokens);
    w.number(CACHE_CREATION_TOKENS, cacheWrite);
    if (u.reasoningTokens > 0) w.number(REASONING_TOKENS, u.reasoningTokens);
  }
  const cost = s.costPico / PICO_PER_USD;
  w.number(COST, cost);
  // Langfuse reads a generation's cost from gen_ai.usage.cost.
  w.number(USAGE_COST, cost);
  if (s.subCallCostPico > 0) w.number(SUBCALLS_COST, s.subCallCostPico / PICO_PER_USD);
  w.number(BASELINE, s.baselinePico / PICO_PER_USD);
  w.string(TECHNIQUE, s.technique ?? 'none');
  if (s.routeReason !== undefined) w.string(ROUTE_REASON, s.routeReason);
  if (s.cache !== undefined) w.string(CACHE, s.cache);
  if (s.errorKind !== undefined) w.string(ERROR_TYPE, s.errorKind);
}

/** The request span's attributes of the deployment that served. */
function servedByAttributes(d: Deployment, _: undefined, w: AttributeWriter): void {
  w.string(PROVIDER, genAiProvider(d.provider));
  w.string(RESPONSE_MODEL, d.name);
  w.string(COSTWISE_PROVIDER, d.provider.name);
}

/** An attempt span's attributes that follow from its deployment and purpose alone. */
function attemptTargetAttributes(d: Deployment, purpose: AttemptPurpose, w: AttributeWriter): void {
  w.string(OPERATION, 'chat');
  w.string(PROVIDER, genAiProvider(d.provider));
  w.string(REQUEST_MODEL, d.upstreamModel);
  w.string(DEPLOYMENT, d.key);
  w.string(PURPOSE, purpose);
}

export function attemptAttributes(a: AttemptSpan, w: AttributeWriter): void {
  w.block(a.deployment, a.purpose, attemptTargetAttributes);
  if (a.timeToFirstToken !== undefined) w.number(TIME_TO_FIRST_TOKEN, a.timeToFirstToken);
  if (a.responseModel !== undefined) w.string(RESPONSE_MODEL, a.responseModel);
  if (a.errorType !== undefined) {
    w.string(ERROR_TYPE, a.errorType);
    if (a.errorStatus !== undefined) w.number(HTTP_STATUS, a.errorStatus);
  }
}

/** The spans' names, `{operation} {model}`: the request's the model asked for, an attempt's the upstream model. */
export function requestSpanName(s: RequestSummary): readonly [operation: string, model: string] {
  return [s.operation, s.requestModel];
}

export function attemptSpanName(a: AttemptSpan): readonly [operation: string, model: string] {
  return ['chat', a.deployment.upstreamModel];
}
