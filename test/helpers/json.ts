// Typed JSON in tests. A zod schema names the part of a body a test relies on and checks it, so
// the test reads real types (no `any`, no unchecked cast), and a body of another shape fails here
// with the path that differs rather than as a TypeError further down. The value handed back is
// the parsed JSON itself, not zod's copy: keys the schema does not name are kept, so `toEqual`
// still sees the whole body. (Schemas here must not transform or default values for that reason.)
import type { z } from 'zod';

/** `value` checked against `schema`, typed by it. */
export function shaped<S extends z.ZodType>(value: unknown, schema: S): z.output<S> {
  schema.parse(value);
  return value as z.output<S>;
}

/** JSON text parsed and checked against `schema`. */
export function parseJson<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  return shaped(JSON.parse(text) as unknown, schema);
}

/** A response's JSON body checked against `schema`. */
export async function readJson<S extends z.ZodType>(res: Response, schema: S): Promise<z.output<S>> {
  return shaped(await res.json(), schema);
}

/** GET (or `init`) `url` and read its JSON body, checked against `schema`, whatever the status. */
export async function fetchJson<S extends z.ZodType>(url: string, schema: S, init?: RequestInit): Promise<z.output<S>> {
  return readJson(await fetch(url, init), schema);
}
