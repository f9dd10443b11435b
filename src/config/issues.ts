// zod issues → one line each, naming the path, the value written and the closest valid one.
import type { z } from 'zod';
import { didYouMean } from './suggest.js';

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

type Schema = z.core.$ZodType;
interface Def {
  type: string;
  shape?: Record<string, Schema>;
  innerType?: Schema;
  in?: Schema;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
  getter?: () => Schema;
  values?: unknown[];
}
const defOf = (s: Schema): Def => s._zod.def;

/** Strips optional/default/prefault/pipe wrappers. */
function unwrap(schema: Schema): Schema {
  let s = schema;
  for (;;) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else if (def.type === 'lazy' && def.getter) s = def.getter();
    else return s;
  }
}

/** The object schemas a value at `path` may be checked against (several under a union). */
function objectsAt(schema: Schema, path: ReadonlyArray<PropertyKey>): Schema[] {
  let current = [unwrap(schema)];
  for (const seg of path) {
    const next: Schema[] = [];
    for (const s of current.flatMap(options)) {
      const def = defOf(s);
      const child = def.type === 'object' ? def.shape?.[String(seg)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
      if (child) next.push(unwrap(child));
    }
    current = next;
  }
  return current.flatMap(options).filter((s) => defOf(s).type === 'object');
}

function options(s: Schema): Schema[] {
  const def = defOf(s);
  return def.type === 'union' && def.options ? def.options.map(unwrap).flatMap(options) : [s];
}

/** The keys an object at `path` may have; under a union, those of the option whose `kind` the input names. */
export function knownKeys(schema: Schema, path: ReadonlyArray<PropertyKey>, input: unknown): string[] {
  const objects = objectsAt(schema, path);
  const kind = (input as { kind?: unknown } | null)?.kind;
  const sameKind = objects.filter((o) => {
    const k = defOf(o).shape?.['kind'];
    return k !== undefined && (defOf(unwrap(k)).values ?? []).includes(kind);
  });
  return [...new Set((sameKind.length ? sameKind : objects).flatMap((o) => Object.keys(defOf(o).shape ?? {})))];
}

function notOneOf(path: string, input: unknown, values: readonly unknown[]): string {
  const valid = values.map(String);
  const given = input === undefined ? 'nothing' : JSON.stringify(input);
  return `${path}: ${given} is not one of ${valid.join(', ')}${typeof input === 'string' ? didYouMean(input, valid) : ''}`;
}

/** One line per problem (an issue listing several unknown keys gives one line each). Parse with `reportInput: true`. */
export function describeIssue(issue: z.core.$ZodIssue, schema: Schema): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path, issue.input);
    return issue.keys.map((key) => {
      const hint = didYouMean(key, known) || (known.length ? ` (known: ${known.join(', ')})` : '');
      return `${formatPath([...issue.path, key])}: unknown key${hint}`;
    });
  }
  if (issue.code === 'invalid_value' && 'input' in issue) return [notOneOf(path, issue.input, issue.values)];
  if (issue.code === 'invalid_union') {
    if ('options' in issue && Array.isArray(issue.options) && 'discriminator' in issue) {
      const input = (issue.input as Record<string, unknown> | null)?.[String(issue.discriminator)];
      return [notOneOf(path, input, issue.options)];
    }
    const described = describeUnion(issue.path, issue.errors, issue.input, schema);
    if (described) return described;
  }
  return [`${path}: ${issue.message}`];
}

type Issue = z.core.$ZodIssue;

/** A value no option of a plain union took: say which option it was closest to, and why not. */
function describeUnion(at: ReadonlyArray<PropertyKey>, branches: Issue[][], input: unknown, schema: Schema): string[] | undefined {
  // A misspelt tag: every option refused the same key's value (`ledger.kind: postgress`).
  const tags = branches.map((b) => b.find((i) => i.code === 'invalid_value' && i.path.length === 1));
  const key = tags[0]?.path[0];
  if (key !== undefined && tags.every((t) => t?.path[0] === key)) {
    const values = tags.flatMap((t) => (t?.code === 'invalid_value' ? t.values : []));
    return [notOneOf(formatPath([...at, key]), (input as Record<PropertyKey, unknown> | null)?.[key], values)];
  }
  // The option the value was meant for: the one that took its type (an object for an object).
  const fitting = branches.filter((b) => !b.some((i) => i.path.length === 0 && i.code !== 'unrecognized_keys'));
  if (fitting.length === 1) return fitting[0]!.flatMap((i) => describeIssue({ ...i, path: [...at, ...i.path] }, schema));
  // A misspelt word where a word or an object may stand (`embedder: buitin`).
  const words = branches.flatMap((b) => b.flatMap((i) => (i.code === 'invalid_value' && i.path.length === 0 ? i.values : [])));
  if (typeof input === 'string' && words.length) return [notOneOf(formatPath(at), input, words)];
  return undefined;
}
