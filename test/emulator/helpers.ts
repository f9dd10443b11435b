// Shared test helpers for the emulator suites.
import { countTextTokens } from '../../src/tokens/count.js';

const WORDS =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(
    ' ',
  );

/** Deterministic prose of at least `minTokens` tokens (o200k), distinct per `tag`. */
export function longText(minTokens: number, tag: string): string {
  let text = `Document ${tag}.`;
  let i = 0;
  while (countTextTokens(text, 'gpt-4o') < minTokens) {
    let para = '';
    for (let j = 0; j < 40; j++) para += ` ${WORDS[(i * 7 + j * 3) % WORDS.length]}${(i * 40 + j) % 97}`;
    text += `\n${para}.`;
    i++;
  }
  return text;
}

/**
 * POSTs `body` (a string is sent as is) and reads the answer: `json` is the parsed body, undefined
 * when it is not JSON; read it through a schema (../helpers/json.ts `shaped`).
 */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
