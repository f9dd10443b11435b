import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { buildCatalog, type Catalog } from '../../src/config/catalog.js';
import type { CanonicalRequest } from '../../src/core/canonical.js';
import { extractFeatures, type RequestFeatures } from '../../src/routing/policy/features.js';
import { compileRule } from '../../src/routing/policy/rules.js';
import { ruleSchema } from '../../src/config/rule-schema.js';
import { decide, type PolicyConfig } from '../../src/routing/policy/decide.js';
import { incapability } from '../../src/routing/policy/capabilities.js';

function catalog(edit?: (c: ConfigInput) => void): Catalog {
  const raw = structuredClone(DEFAULT_CONFIG);
  edit?.(raw);
  return buildCatalog(parseConfig(raw, 'test', {}).config, 'http://127.0.0.1:1');
}

function request(over: Partial<CanonicalRequest> = {}, text = 'hello'): CanonicalRequest {
  return {
    model: 'auto',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    stream: false,
    streamUsage: false,
    passthrough: { format: 'openai', fields: {} },
    ...over,
  };
}

const policy = (rules: unknown[] = []): PolicyConfig => ({ rules: rules.map((r) => compileRule(ruleSchema.parse(r))), defaultTier: 'cheap' });
const features = (req: CanonicalRequest, tags: string[] = [], tenant = 'default') => extractFeatures(req, { tenant, tags });

describe('rules, tiers and explicit models', () => {
  const cat = catalog();

  it('auto goes to the cheapest capable model of the default tier', () => {
    const d = decide(features(request()), cat, policy());
    expect(d).toMatchObject({ kind: 'serve', reason: 'auto->gpt-4.1-nano' });
  });

  it('explicit models are honoured', () => {
    expect(decide(features(request({ model: 'claude-opus-4-5' })), cat, policy())).toMatchObject({
      kind: 'serve',
      reason: 'requested',
      deployment: { name: 'claude-opus-4-5' },
    });
  });

  it('a rule overrides an explicit model: classification asking for gpt-4.1 → gpt-4.1-nano', () => {
    const p = policy([{ name: 'classification', match: { tags: 'classification', model: 'gpt-4.1' }, route: { model: 'gpt-4.1-nano' } }]);
    expect(decide(features(request({ model: 'gpt-4.1' }), ['classification']), cat, p)).toMatchObject({
      kind: 'serve',
      reason: 'rule:classification->gpt-4.1-nano',
    });
    expect(decide(features(request({ model: 'gpt-4.1' }), ['other']), cat, p)).toMatchObject({
      kind: 'serve',
      reason: 'requested',
      deployment: { name: 'gpt-4.1' },
    });
  });

  it('rules on regex, tenant, prompt length, tools and json schema; first match wins', () => {
    const p = policy([
      { name: 'legal', match: { lastUserMessage: '/contract|clause/i' }, route: { tier: 'frontier' } },
      { name: 'acme', match: { tenant: ['acme'] }, route: { tier: 'mid' } },
      { name: 'long', match: { minPromptTokens: 1000 }, route: { router: 'support' } },
      { name: 'structured', match: { jsonSchema: true }, route: { model: 'gpt-4.1-mini' } },
    ]);
    expect(decide(features(request({}, 'Review this Contract')), cat, p)).toMatchObject({ reason: 'rule:legal->gpt-4.1' });
    expect(decide(features(request(), [], 'acme'), cat, p)).toMatchObject({ reason: 'rule:acme->gpt-4.1-mini' });
    expect(decide(features(request({}, 'x'.repeat(8000))), cat, p)).toEqual({ kind: 'router', router: 'support', reason: 'rule:long' });
    expect(decide(features(request({ responseFormat: { type: 'json_schema', name: 's', schema: {} } })), cat, p)).toMatchObject({
      reason: 'rule:structured->gpt-4.1-mini',
    });
  });

  it('named routers and tiers can be asked for by model name', () => {
    expect(decide(features(request({ model: 'router/support' })), cat, policy())).toEqual({ kind: 'router', router: 'support', reason: 'requested' });
    expect(decide(features(request({ model: 'frontier' })), cat, policy())).toMatchObject({ reason: 'tier:frontier->gpt-4.1' });
  });

  it('an unknown model is unservable, never guessed', () => {
    expect(decide(features(request({ model: 'gpt-9' })), cat, policy())).toMatchObject({ kind: 'unservable', why: 'unknown_model' });
  });

  it('rejects invalid rules with the exact problem', () => {
    expect(ruleSchema.safeParse({ name: 'x', match: {}, route: { model: 'a' } }).success).toBe(false);
    const bad = ruleSchema.safeParse({ name: 'x', match: { lastUserMessage: '(' }, route: { model: 'a' } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/not a valid regular expression/);
  });
});

describe('capability constraints are hard', () => {
  it('images skip a cheap model without vision', () => {
    const cat = catalog((c) => {
      for (const m of c.models) if (m.name === 'gpt-4.1-nano') m.capabilities = { ...m.capabilities, vision: false };
    });
    const req = request({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'url', url: 'https://x/y.png' } },
            { type: 'text', text: 'what is this' },
          ],
        },
      ],
    });
    expect(decide(features(req), cat, policy())).toMatchObject({ reason: 'auto->gpt-4o-mini' });
    expect(decide(features({ ...req, model: 'gpt-4.1-nano' }), cat, policy())).toMatchObject({ kind: 'unservable', why: 'vision' });
  });

  it('a prompt longer than a context window skips that model; a tier with none moves up', () => {
    const cat = catalog((c) => {
      for (const m of c.models) if (m.tier === 'cheap') m.capabilities = { ...m.capabilities, contextWindow: 100_000 };
    });
    const long = request({}, 'word '.repeat(110_000)); // ~137k tokens by the chars/4 estimate
    expect(decide(features(long), cat, policy())).toMatchObject({ kind: 'serve', reason: 'auto(cheap->mid)->gpt-4.1-mini' });
  });

  it('property: a served model can always serve the request', () => {
    const modelNames = [
      'claude-haiku-4-5',
      'claude-sonnet-4-5',
      'claude-opus-4-5',
      'gpt-4.1-nano',
      'gpt-4.1-mini',
      'gpt-4.1',
      'gpt-4o-mini',
      'gemini-2.5-flash',
      'gemini-2.5-pro',
    ];
    const capsArb = fc.record({
      tools: fc.boolean(),
      vision: fc.boolean(),
      contextWindow: fc.integer({ min: 1000, max: 300_000 }),
      maxOutputTokens: fc.integer({ min: 100, max: 70_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(capsArb, { minLength: modelNames.length, maxLength: modelNames.length }),
        fc.record({
          promptTokens: fc.integer({ min: 0, max: 400_000 }),
          maxOutputTokens: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
          hasTools: fc.boolean(),
          hasImages: fc.boolean(),
          hasJsonSchema: fc.boolean(),
        }),
        fc.constantFrom('auto', 'cheap', 'mid', 'frontier', ...modelNames),
        (caps, f, model) => {
          const cat = catalog((c) => {
            c.models.forEach((m) => {
              const i = modelNames.indexOf(m.name);
              if (i >= 0) m.capabilities = caps[i]!;
            });
          });
          const feats: RequestFeatures = { model, tenant: 't', tags: [], lastUserText: '', ...f };
          const d = decide(feats, cat, policy());
          if (d.kind === 'serve') expect(incapability(d.deployment, feats)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });
});
