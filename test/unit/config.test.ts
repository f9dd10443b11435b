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
    expect(p).toContain('models[2].provider: unknown provider "opnai" (known: "openai")');
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
    expect(q).toContain('models[2].provider: unknown provider "opnai" (known: "openai", "local")');
    expect(q.find((s) => s.startsWith('models[3].pricing: no list price known for "my-finetune-xyz"'))).toBeDefined();
    expect(q).toContain('providers[1].baseUrl: required for kind "openai-compatible"');
  });

  it('rejects unknown keys and bad enums', () => {
    const p = problems({ providers: [{ name: 'x', kind: 'opnai' }], models: [{ name: 'a', provider: 'x', tiers: 'cheap' }] });
    expect(p.some((s) => s.startsWith('providers[0].kind:'))).toBe(true);
    expect(p).toContain('models[0]: unknown key "tiers"');
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
