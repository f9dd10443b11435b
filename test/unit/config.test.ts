import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, 'x.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('embedded default has the required catalog with prices', () => {
    const { config } = loadConfig(undefined, {});
    const names = config.models.map((m) => m.name);
    for (const n of [
      'claude-haiku-4-5',
      'claude-sonnet-4-5',
      'claude-opus-4-5',
      'gpt-4.1-nano',
      'gpt-4.1-mini',
      'gpt-4.1',
      'gpt-4o-mini',
      'gemini-2.5-flash',
      'gemini-2.5-pro',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('names exact paths', () => {
    const p = problems({
      providers: [{ name: 'openai', kind: 'openai' }],
      models: [
        { name: 'a', provider: 'openai', upstreamModel: 'gpt-4.1' },
        { name: 'b', provider: 'openai', capabilities: { contextWindow: -5 } },
        { name: 'c', provider: 'opnai' },
        { name: 'd', provider: 'openai', upstreamModel: 'my-finetune-xyz' },
      ],
    });
    expect(p).toContain('models[1].capabilities.contextWindow: Too small: expected number to be >0');
    expect(p).toContain('models[2].provider: unknown provider "opnai" (known: "openai") (did you mean "openai"?)');
    const q = problems({
      providers: [
        { name: 'openai', kind: 'openai' },
        { name: 'local', kind: 'openai-compatible' },
      ],
      models: [
        { name: 'a', provider: 'openai', upstreamModel: 'gpt-4.1' },
        { name: 'a', provider: 'openai', upstreamModel: 'gpt-4.1' },
        { name: 'c', provider: 'opnai' },
        { name: 'd', provider: 'openai', upstreamModel: 'my-finetune-xyz' },
      ],
    });
    expect(q).toContain('models[1]: duplicate deployment of "a" (also models[0]); deployments of one model differ in provider, region or upstreamModel');
    expect(q).toContain('models[2].provider: unknown provider "opnai" (known: "openai", "local") (did you mean "openai"?)');
    expect(q.find((s) => s.startsWith('models[3].pricing: no list price known for "my-finetune-xyz"'))).toBeDefined();
    expect(q).toContain('providers[1].baseUrl: required for kind "openai-compatible"');
  });

  it('rejects unknown keys and bad enums, naming the value and the closest valid one', () => {
    const p = problems({
      providers: [{ name: 'x', kind: 'opnai', type: 'openai' }],
      models: [{ name: 'a', provider: 'x', tiers: 'cheap', tier: 'frontire' }],
      server: { colour: 'blue', max_body_bytes: 10 },
      storage: { state: { kind: 'redsi' }, ledger: { kind: 'postgres', urll: 'x' } },
      routing: { routers: { r: { kind: 'cascade', steps: ['a'], checks: [], stepz: [] } } },
    });
    expect(p).toContain(
      'providers[0].kind: "opnai" is not one of openai, anthropic, gemini, openai-compatible, azure-openai, bedrock, vertex (did you mean "openai"?)',
    );
    expect(p).toContain('providers[0].type: unknown key (did you mean "kind"?)');
    expect(p).toContain('models[0].tiers: unknown key (did you mean "tier"?)');
    expect(p).toContain('models[0].tier: "frontire" is not one of cheap, mid, frontier (did you mean "frontier"?)');
    expect(p).toContain('server.colour: unknown key (known: port, host, maxBodyBytes, adminKey, auth)');
    expect(p).toContain('server.max_body_bytes: unknown key (did you mean "maxBodyBytes"?)');
    expect(p).toContain('storage.state.kind: "redsi" is not one of memory, redis (did you mean "redis"?)');
    // Under a union, the keys of the option the input's `kind` names.
    expect(p).toContain('storage.ledger.urll: unknown key (did you mean "url"?)');
    expect(p).toContain('routing.routers.r.stepz: unknown key (did you mean "steps"?)');
  });

  it('under a plain union, names the misspelt tag, word or key of the option meant', () => {
    const base = { providers: [{ name: 'openai', kind: 'openai' }], models: [{ name: 'gpt-4.1', provider: 'openai' }] };
    expect(problems({ ...base, storage: { ledger: { kind: 'postgress' } } })).toEqual([
      'storage.ledger.kind: "postgress" is not one of sqlite, postgres (did you mean "postgres"?)',
    ]);
    expect(problems({ ...base, cache: { semantic: { embedder: 'buitin' } } })).toEqual([
      'cache.semantic.embedder: "buitin" is not one of builtin, static-use (did you mean "builtin"?)',
    ]);
    expect(problems({ ...base, cache: { semantic: { embedder: { modle: 'x' } } } })).toContain(
      'cache.semantic.embedder.modle: unknown key (did you mean "model"?)',
    );
  });

  it('suggests nothing when no valid value is close', () => {
    const p = problems({ providers: [{ name: 'x', kind: 'mistral' }], models: [{ name: 'a', provider: 'x' }] });
    expect(p).toContain('providers[0].kind: "mistral" is not one of openai, anthropic, gemini, openai-compatible, azure-openai, bedrock, vertex');
    expect(problems({ providers: [{ name: 'x', kind: 7 }], models: [{ name: 'a', provider: 'x' }] })[0]).toMatch(/^providers\[0\]\.kind: /);
  });

  it('resolves keys from the environment and reports unset variables', () => {
    expect(problems({ providers: [{ name: 'o', kind: 'openai', apiKey: '${NOPE}' }], models: [{ name: 'gpt-4.1', provider: 'o' }] })).toEqual([
      'providers[0].apiKey: environment variable NOPE is not set',
    ]);
    const { config } = parseConfig({ providers: [{ name: 'o', kind: 'openai' }], models: [{ name: 'gpt-4.1', provider: 'o' }] }, 'x', {
      OPENAI_API_KEY: 'sk-env',
    });
    expect(config.providers[0]!.apiKey).toBe('sk-env');
    expect(config.providers[0]!.baseUrl).toBe('https://api.openai.com');
  });
});
