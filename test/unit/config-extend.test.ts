// A config file overrides the embedded default key by key (src/config/extend.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';

const dir = mkdtempSync(join(tmpdir(), 'costwise-config-extend-'));
let n = 0;
function load(yaml: string, env: Record<string, string> = {}) {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig(file, env).config;
}
function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const embedded = loadConfig(undefined, {}).config;
const defaultNames = DEFAULT_CONFIG.models.map((m) => m.name);

describe('a config file extends the embedded default', () => {
  it('a file with only storage serves the embedded catalog and routers', () => {
    const c = load('storage: { ledger: { kind: sqlite, path: /tmp/elsewhere.db } }\n');
    expect(c.storage.ledger).toEqual({ kind: 'sqlite', path: '/tmp/elsewhere.db' });
    expect(c.models.map((m) => m.name)).toEqual(defaultNames);
    expect(c.providers).toEqual(embedded.providers);
    expect(Object.keys(c.routing.routers).sort()).toEqual(['cascade', 'learned']);
  });

  it('a file with only routing merges into the default routing key by key', () => {
    const c = load(
      ['routing:', '  defaultTier: mid', '  retry: { maxRetries: 5 }', '  routers:', '    cascade: { steps: [gpt-4.1-nano, gpt-4.1] }'].join('\n'),
    );
    expect(c.routing.defaultTier).toBe('mid');
    expect(c.routing.retry).toEqual({ ...embedded.routing.retry, maxRetries: 5 });
    // Arrays replace; the rest of the default router stays.
    expect(c.routing.routers['cascade']).toEqual({ ...embedded.routing.routers['cascade'], steps: ['gpt-4.1-nano', 'gpt-4.1'] });
    expect(c.routing.routers['learned']).toEqual(embedded.routing.routers['learned']);
    expect(c.models.map((m) => m.name)).toEqual(defaultNames);
  });

  it('null removes a default: a named router, or a section back to its schema default', () => {
    const c = load('routing: { routers: { learned: null } }\n');
    expect(Object.keys(c.routing.routers)).toEqual(['cascade']);
  });

  it('an object whose kind changes replaces the default whole', () => {
    const c = load('routing: { routers: { cascade: { kind: learned, model: default, candidates: { a: gpt-4.1-nano, b: gpt-4.1 } } } }\n');
    // Nothing of the default cascade router is left; `fallback` is the learned router's own default.
    expect(c.routing.routers['cascade']).toEqual({ kind: 'learned', model: 'default', candidates: { a: 'gpt-4.1-nano', b: 'gpt-4.1' }, fallback: 'strong' });
  });

  it('models replace the catalog (and its routers); providers replace the providers only', () => {
    const c = load(['models:', '  - { name: gpt-4.1-nano, provider: openai }'].join('\n'));
    expect(c.models.map((m) => m.name)).toEqual(['gpt-4.1-nano']);
    expect(c.providers.map((p) => p.name)).toEqual(['openai', 'anthropic', 'gemini']);
    expect(c.routing.routers).toEqual({});

    const real = load(
      ['providers:', '  - { name: openai, kind: openai }', '  - { name: anthropic, kind: anthropic }', '  - { name: gemini, kind: gemini }'].join('\n'),
      {
        OPENAI_API_KEY: 'sk-o',
        ANTHROPIC_API_KEY: 'sk-a',
        GEMINI_API_KEY: 'g',
      },
    );
    expect(real.models.map((m) => m.name)).toEqual(defaultNames);
    expect(real.providers.map((p) => [p.name, p.baseUrl, p.apiKey])).toEqual([
      ['openai', 'https://api.openai.com', 'sk-o'],
      ['anthropic', 'https://api.anthropic.com', 'sk-a'],
      ['gemini', 'https://generativelanguage.googleapis.com', 'g'],
    ]);
  });

  it('addModels and addProviders extend the embedded catalog', () => {
    const c = load(
      [
        'addProviders:',
        '  - { name: local, kind: openai-compatible, baseUrl: "http://127.0.0.1:11434/v1" }',
        'addModels:',
        '  - { name: llama, provider: local, upstreamModel: "llama3.1:8b", pricing: { input: 0, output: 0 } }',
        '  - { name: gpt-4.1-mini, provider: openai, region: eu }',
      ].join('\n'),
    );
    expect(c.models.map((m) => m.name)).toEqual([...defaultNames, 'llama', 'gpt-4.1-mini']);
    expect(c.models.filter((m) => m.name === 'gpt-4.1-mini').map((m) => m.region)).toEqual([undefined, 'eu']);
    expect(c.providers.map((p) => p.name)).toEqual(['openai', 'anthropic', 'gemini', 'local']);
    expect(Object.keys(c).sort()).not.toContain('addModels');
  });

  it('errors in added entries name the addModels / addProviders path', () => {
    const p = problems(
      [
        'addProviders:',
        '  - { name: local, kind: openai-compatible }',
        'addModels:',
        '  - { name: llama, provider: locl }',
        '  - { name: gpt-4.1-mini, provider: openai }',
        '  - { name: x, provider: local, tierr: cheap }',
      ].join('\n'),
    );
    expect(p).toContain('addModels[2].tierr: unknown key (did you mean "tier"?)');
    expect(p.some((s) => s.startsWith('addModels[0].provider: unknown provider "locl"') && s.endsWith('(did you mean "local"?)'))).toBe(true);
    const q = problems(
      ['addProviders:', '  - { name: local, kind: openai-compatible }', 'addModels:', '  - { name: gpt-4.1-mini, provider: openai }'].join('\n'),
    );
    expect(q).toEqual([
      'addProviders[0].baseUrl: required for kind "openai-compatible"',
      'addModels[0]: duplicate deployment of "gpt-4.1-mini" (also models[4]); deployments of one model differ in provider, region or upstreamModel',
    ]);
  });

  it('an empty file is the embedded default', () => {
    expect(load('')).toEqual(embedded);
    expect(load('# nothing here\n')).toEqual(embedded);
  });
});
