// Reads a scenario: YAML → zod (shape) → catalog (models, tiers, prices). A bad scenario is refused
// with every problem's exact path and reason; nothing is projected from it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildCatalog } from '../config/catalog.js';
import { ConfigError, formatPath, loadConfig } from '../config/load.js';
import { scenarioSchema, shareSumProblem } from './schema.js';
import { resolveScenario } from './resolve.js';
import type { Scenario } from './scenario.js';

export class ScenarioError extends Error {
  constructor(
    readonly problems: string[],
    readonly file: string,
  ) {
    super(`invalid scenario${file ? ` in ${file}` : ''}:\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** Validates a parsed scenario document; `source` is its file (relative `config:` paths start there). */
export function parseScenario(raw: unknown, source: string): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys')
        return `${formatPath(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${formatPath(issue.path)}: ${issue.message}`;
    });
    // zod skips the whole-scenario checks when a field is wrong; the share sum is worth reporting anyway.
    const shares = shareSumProblem((raw as { mix?: unknown } | null)?.mix);
    if (shares && !problems.some((p) => p.startsWith('mix: shares'))) problems.push(`mix: ${shares}`);
    throw new ScenarioError(problems, source);
  }
  const input = parsed.data;
  let configFile: string | undefined;
  if (input.config !== undefined) configFile = resolve(source ? dirname(source) : process.cwd(), input.config);
  let loaded;
  try {
    loaded = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ScenarioError(
        err.problems.map((p) => `config (${err.file}): ${p}`),
        source,
      );
    throw err;
  }
  const result = resolveScenario(input, buildCatalog(loaded.config, 'http://127.0.0.1:1'), loaded.source);
  if (!result.ok) throw new ScenarioError(result.problems, source);
  return result.scenario;
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError([`cannot read file: ${(err as Error).message}`], file);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ScenarioError([`YAML syntax: ${(err as Error).message.split('\n')[0]}`], file);
  }
  return parseScenario(raw ?? {}, file);
}
