// Cascade checks: does the cheap model's answer stand, or should the request escalate? Pure and
// synchronous; the pipeline calls runLocalChecks after the cheap model answered, then (if the
// local checks pass) any judge check through judgeRequest / judgeVerdict.
import type { CanonicalRequest, CanonicalResponse, ToolCallPart } from '../../core/canonical.js';
import { answerText, parseJson, readNumber, stripFences, toolCalls, toUnit } from './answer.js';
import { requestSchemaValidator, compileSchema, SchemaProblem, type Validator } from '../../core/json-schema.js';
import { DEFAULT_REFUSAL_PHRASES, findRefusal, refusalMatcher } from './refusal.js';
import type { CascadeCheck, ConsistencyCheck } from '../../config/cascade-check-schema.js';
import { fail, headerSafe, num, pass, type CheckVerdict } from './verdict.js';
import { codeParses, compareAnswers, extractCode, extractAnswer } from './extract.js';

export { cascadeCheckSchema, type CascadeCheck, type JudgeCheck, type ConsistencyCheck, type RemoteCheck } from '../../config/cascade-check-schema.js';
export type { CheckVerdict } from './verdict.js';
export { judgeRequest, judgeVerdict } from './judge.js';

type LocalCheck = Exclude<CascadeCheck, { kind: 'judge' | 'consistency' }>;

interface Answer {
  request: CanonicalRequest;
  response: CanonicalResponse;
  text: string;
}

/** Runs the local (non-judge) checks in order; returns the first failing verdict, or a passing one. */
export function runLocalChecks(checks: readonly CascadeCheck[], request: CanonicalRequest, response: CanonicalResponse): CheckVerdict {
  const answer: Answer = { request, response, text: answerText(response) };
  const passed: string[] = [];
  let lastKind: CascadeCheck['kind'] | null = null;
  for (const check of checks) {
    if (check.kind === 'judge' || check.kind === 'consistency') continue;
    let verdict: CheckVerdict;
    try {
      verdict = runCheck(check, answer);
    } catch {
      // A check that cannot run (e.g. an unvalidated config) must not fail the request; the
      // stronger model is the safe answer.
      verdict = fail(check.kind, 'check error');
    }
    if (!verdict.pass) return verdict;
    passed.push(verdict.detail);
    lastKind = check.kind;
  }
  return { pass: true, check: lastKind, detail: passed.length > 0 ? headerSafe(passed.join(';')) : 'no local checks' };
}

function runCheck(check: LocalCheck, answer: Answer): CheckVerdict {
  switch (check.kind) {
    case 'truncation':
      return truncation(answer.response);
    case 'refusal':
      return refusal(check, answer);
    case 'json_schema':
      return jsonSchema(check, answer);
    case 'confidence':
      return confidence(check, answer.text);
    case 'score_band':
      return scoreBand(check, answer.text);
    case 'regex':
      return regex(check, answer.text);
    case 'answer':
      return extracted(check, answer.text);
  }
}

// Compiled once per check object (config is parsed once, so these live as long as the config).
const regexes = new WeakMap<CascadeCheck, RegExp>();
const validators = new WeakMap<CascadeCheck, Validator>();
const defaultRefusals = refusalMatcher(DEFAULT_REFUSAL_PHRASES);

function cached<V>(map: WeakMap<CascadeCheck, V>, check: CascadeCheck, build: () => V): V {
  let value = map.get(check);
  if (value === undefined) {
    value = build();
    map.set(check, value);
  }
  return value;
}

function truncation(response: CanonicalResponse): CheckVerdict {
  // pause_turn: the provider stopped mid-turn and expects a continuation, so the answer is partial.
  if (response.stopReason === 'max_tokens' || response.stopReason === 'pause_turn') return fail('truncation', response.stopReason);
  return pass('truncation', response.stopReason);
}

function refusal(check: Extract<CascadeCheck, { kind: 'refusal' }>, { response, text }: Answer): CheckVerdict {
  if (response.stopReason === 'refusal' || response.stopReason === 'content_filter') return fail('refusal', response.stopReason);
  if (response.refusal) return fail('refusal', 'refusal message');
  const matcher = check.patterns ? cached(regexes, check, () => refusalMatcher(check.patterns!)) : defaultRefusals;
  const phrase = findRefusal(text, matcher);
  return phrase === undefined ? pass('refusal', 'none') : fail('refusal', `"${phrase}"`);
}

function jsonSchema(check: Extract<CascadeCheck, { kind: 'json_schema' }>, { request, response, text }: Answer): CheckVerdict {
  const calls = toolCalls(response);
  if (calls.length > 0) return toolArguments(calls, request);
  const parsed = parseJson(stripFences(text));
  if (!parsed.ok) return fail('json_schema', text.trim() === '' ? 'empty answer' : 'not valid JSON');
  let validate: Validator | SchemaProblem | undefined;
  if (check.schema) validate = cached(validators, check, () => compileSchema(check.schema!));
  else if (request.responseFormat?.type === 'json_schema') validate = requestSchemaValidator(request.responseFormat.schema);
  if (validate === undefined) return pass('json_schema', 'valid JSON');
  // The caller's own schema does not compile: the stronger model could not do better, so JSON validity decides.
  if (validate instanceof SchemaProblem) return pass('json_schema', 'valid JSON, request schema unusable');
  const problem = validate(parsed.value);
  return problem === null ? pass('json_schema', 'matches schema') : fail('json_schema', problem);
}

function toolArguments(calls: readonly ToolCallPart[], request: CanonicalRequest): CheckVerdict {
  for (const call of calls) {
    const tool = request.tools?.find((t) => t.name === call.name);
    if (tool === undefined) return fail('json_schema', `unknown tool ${call.name}`);
    // Some providers send "" for a call without arguments.
    const parsed = call.arguments.trim() === '' ? { ok: true as const, value: {} } : parseJson(call.arguments);
    if (!parsed.ok) return fail('json_schema', `${call.name} arguments not valid JSON`);
    const validate = requestSchemaValidator(tool.parameters);
    if (validate instanceof SchemaProblem) continue;
    const problem = validate(parsed.value);
    if (problem !== null) return fail('json_schema', `${call.name} ${problem}`);
  }
  return pass('json_schema', `tool arguments match (${calls.length})`);
}

function confidence(check: Extract<CascadeCheck, { kind: 'confidence' }>, text: string): CheckVerdict {
  const field = check.field ?? 'confidence';
  const reading = readNumber(text, field);
  if (reading === undefined) return fail('confidence', `no ${field}`);
  // "72%", "7/10" and a bare 72 are all 0.72 on the 0..1 scale `min` is written in.
  const value = toUnit(reading);
  if (value < 0 || value > 1) return fail('confidence', `${field} out of range`);
  return value < check.min ? fail('confidence', `${num(value)}<${check.min}`) : pass('confidence', `${num(value)}>=${check.min}`);
}

function scoreBand(check: Extract<CascadeCheck, { kind: 'score_band' }>, text: string): CheckVerdict {
  const field = check.field ?? 'score';
  const reading = readNumber(text, field);
  if (reading === undefined) return fail('score_band', `no ${field}`);
  const [lo, hi] = check.ambiguous;
  const band = `[${lo},${hi}]`;
  // The score is taken in its own units ("7/10" is 7, "55%" is 55): the band is written in them.
  const value = reading.value;
  return value >= lo && value <= hi ? fail('score_band', `${num(value)} in ${band}`) : pass('score_band', `${num(value)} outside ${band}`);
}

function regex(check: Extract<CascadeCheck, { kind: 'regex' }>, text: string): CheckVerdict {
  const re = cached(regexes, check, () => new RegExp(check.pattern, check.flags?.replace(/[gy]/g, '')));
  const matched = re.test(text);
  const mustMatch = check.mustMatch ?? true;
  const label = `/${check.pattern.length > 40 ? `${check.pattern.slice(0, 40)}...` : check.pattern}/`;
  if (matched === mustMatch) return pass('regex', `${label} ${matched ? 'matched' : 'no match'}`);
  return fail('regex', `${label} ${matched ? 'matched' : 'no match'}`);
}

function extracted(check: Extract<CascadeCheck, { kind: 'answer' }>, text: string): CheckVerdict {
  if (check.extract === 'code') {
    const code = extractCode(text);
    if (code === undefined) return fail('answer', 'no code');
    return codeParses(code) ? pass('answer', 'code parses') : fail('answer', 'code does not parse');
  }
  const found = extractAnswer(text, check.extract);
  return found === undefined ? fail('answer', `no ${check.extract}`) : pass('answer', `${check.extract} ${headerSafe(found.value)}`);
}

/** Self-consistency: the second model's answer against the cheap one's (no answer from it fails). */
export function consistencyVerdict(check: ConsistencyCheck, cheap: CanonicalResponse, second: CanonicalResponse): CheckVerdict {
  const a = compareAnswers(answerText(cheap), answerText(second), check.extract);
  if (a.verdict === 'agree') return pass('consistency', `${a.kind} agrees with ${check.model}`);
  return fail('consistency', a.verdict === 'unknown' ? 'no answer to compare' : `${a.kind} differs from ${check.model}`);
}
