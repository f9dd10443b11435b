// Property: whatever the catalog's capabilities, deployments, fallbacks and named routers, the
// routing stage and the dispatch candidates never include a model that cannot serve the request.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { buildCatalog } from '../../src/config/catalog.js';
import { compileRouters } from '../../src/routing/routers/compile.js';
import { compileRule } from '../../src/routing/policy/rules.js';
import { ruleSchema } from '../../src/config/rule-schema.js';
import { incapability } from '../../src/routing/policy/capabilities.js';
import { createContext } from '../../src/pipeline/context.js';
import { route } from '../../src/pipeline/route.js';
import { candidateDeployments } from '../../src/pipeline/candidates.js';
import { createResilience } from '../../src/pipeline/resilience.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ContentPart } from '../../src/core/canonical.js';

const NAMES = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5', 'gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1', 'gpt-4o-mini'];
const capsArb = fc.record({
  tools: fc.boolean(),
  vision: fc.boolean(),
  contextWindow: fc.integer({ min: 50, max: 3000 }),
  maxOutputTokens: fc.integer({ min: 10, max: 2000 }),
});

describe('routing never picks an incapable model', () => {
  it('property: route + dispatch candidates (deployments, fallbacks, learned and cascade routers)', () => {
    fc.assert(
      fc.property(
        fc.array(capsArb, { minLength: NAMES.length * 2, maxLength: NAMES.length * 2 }),
        fc.record({
          chars: fc.integer({ min: 1, max: 12_000 }),
          maxTokens: fc.option(fc.integer({ min: 1, max: 2500 }), { nil: undefined }),
          tools: fc.boolean(),
          image: fc.boolean(),
          tag: fc.constantFrom('none', 'cheapen', 'cascade'),
        }),
        fc.constantFrom('auto', 'cheap', 'mid', 'frontier', 'router/learned', 'router/cascade', 'router/three', ...NAMES),
        fc.integer({ min: 0, max: NAMES.length - 1 }),
        (caps, r, model, fallbackFrom) => {
          const raw = structuredClone(DEFAULT_CONFIG);
          // every model gets a second deployment in another region, with its own capabilities
          raw.models = raw.models.flatMap((m) => {
            const i = NAMES.indexOf(m.name);
            if (i < 0) return [m];
            return [
              { ...m, region: 'a', capabilities: caps[i * 2]! },
              { ...m, region: 'b', capabilities: caps[i * 2 + 1]! },
            ];
          });
          raw.routing = {
            ...raw.routing,
            fallbacks: { [NAMES[fallbackFrom]!]: NAMES.filter((n) => n !== NAMES[fallbackFrom]) },
            routers: {
              ...raw.routing!.routers,
              three: { kind: 'cascade', steps: ['gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1'], checks: [{ kind: 'truncation' }] },
            },
            rules: [
              { name: 'cheapen', match: { tags: 'cheapen' }, route: { model: 'gpt-4.1-nano' } },
              { name: 'cascade', match: { tags: 'cascade' }, route: { router: 'cascade' } },
            ],
          };
          const { config } = parseConfig(raw, 'test', {});
          const catalog = buildCatalog(config, 'http://127.0.0.1:1');
          const { routers } = compileRouters(config.routing.routers, catalog);
          const policy = { rules: config.routing.rules.map((x) => compileRule(ruleSchema.parse(x))), defaultTier: config.routing.defaultTier };
          const ctx = createContext({
            requestId: 'r',
            ingress: 'openai',
            endpoint: '/v1/chat/completions',
            caller: { tenant: 't', keyId: 'k', tags: r.tag === 'none' ? [] : [r.tag] },
            forwardHeaders: {},
          });
          const content: ContentPart[] = [{ type: 'text', text: 'x'.repeat(r.chars) }];
          if (r.image) content.push({ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } });
          ctx.request = {
            ...ctx.request,
            model,
            messages: [{ role: 'user', content }],
            ...(r.maxTokens !== undefined ? { maxTokens: r.maxTokens } : {}),
            ...(r.tools ? { tools: [{ name: 'f', parameters: { type: 'object' } }] } : {}),
          };
          try {
            route(ctx, { catalog, policy, routers });
          } catch (err) {
            expect(err).toBeInstanceOf(GatewayError); // unservable: refused, never served by an incapable model
            return;
          }
          const f = ctx.features!;
          expect(incapability(ctx.deployment!, f)).toBeNull();
          for (const step of ctx.cascade?.steps ?? []) expect(incapability(step, f)).toBeNull();
          for (const d of candidateDeployments(ctx.deployment!, ctx.request, f, catalog, createResilience(config.routing)))
            expect(incapability(d, f)).toBeNull();
        },
      ),
      { numRuns: 250 },
    );
  });
});
