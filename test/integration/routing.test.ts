// Routing through the live gateway: rules, auto, capability constraints, the route header and
// the baseline that measures the saving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPico, ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { present } from '../helpers/assert.js';
import { fetchJson } from '../helpers/json.js';
import { SpendPage } from '../helpers/api-json.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';

let env: TestEnv;
describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: {
        routing: {
          rules: [
            { name: 'classification', match: { tags: 'classification', model: 'gpt-4.1' }, route: { model: 'gpt-4.1-nano' } },
            { name: 'legal', match: { lastUserMessage: '/contract/i' }, route: { tier: 'frontier' } },
          ],
        },
      },
    });
  });
  afterAll(() => env.close());

  describe('routing in the gateway', () => {
    it('a rule moves a request to a cheaper model; the baseline prices it on the model asked for', async () => {
      const { data, response } = await env.openai.chat.completions
        .create(
          { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Label: positive or negative? "great service"' }] },
          { headers: { 'x-costwise-tags': 'classification', 'x-emulator-output-tokens': '3' } },
        )
        .withResponse();
      expect(response.headers.get('x-costwise-model')).toBe('gpt-4.1-nano');
      expect(response.headers.get('x-costwise-route')).toBe('rule:classification->gpt-4.1-nano');
      expect(data.model).toBe('gpt-4.1-nano');
      const tokens = { input: data.usage!.prompt_tokens, output: 3 };
      expect(usdToPico(response.headers.get('x-costwise-cost-usd')!)).toBe(expectedPico('gpt-4.1-nano', tokens));
      expect(usdToPico(response.headers.get('x-costwise-baseline-usd')!)).toBe(expectedPico('gpt-4.1', tokens));
      const row = (await ledger(env)).find((r) => r['requestId'] === response.headers.get('x-costwise-request-id'))!;
      expect(row['requestedModel']).toBe('gpt-4.1');
      expect(row['servedModel']).toBe('gpt-4.1-nano');
      const spend = await fetchJson(`${env.gateway.url}/api/spend?group_by=tag`, SpendPage);
      const classification = present(
        spend.data.find((d) => d.tag === 'classification'),
        'the spend of tag classification',
      );
      expect(usdToPico(classification.saving_usd)).toBe(expectedPico('gpt-4.1', tokens) - expectedPico('gpt-4.1-nano', tokens));
    });

    it('without the tag the explicit model is honoured', async () => {
      const { response } = await env.openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(response.headers.get('x-costwise-model')).toBe('gpt-4.1');
      expect(response.headers.get('x-costwise-route')).toBe('requested');
      expect(response.headers.get('x-costwise-baseline-usd')).toBe(response.headers.get('x-costwise-cost-usd'));
    });

    it('auto goes to the cheapest capable model; a regex rule sends contracts to the frontier tier (Anthropic format too)', async () => {
      const { response: auto } = await env.openai.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
      expect(auto.headers.get('x-costwise-route')).toBe('auto->gpt-4.1-nano');
      const { data, response } = await env.anthropic.messages
        .create({ model: 'auto', max_tokens: 50, messages: [{ role: 'user', content: 'Check this Contract for risks' }] })
        .withResponse();
      expect(response.headers.get('x-costwise-route')).toBe('rule:legal->gpt-4.1');
      expect(data.model).toBe('gpt-4.1');
    });

    it('an explicit model that cannot serve the request is refused, never silently swapped', async () => {
      await expect(
        env.openai.chat.completions.create({ model: 'gpt-4o-mini', max_completion_tokens: 50_000, messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 400, param: 'max_completion_tokens' });
      await expect(env.openai.chat.completions.create({ model: 'router/support', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
        status: 404,
      });
    });

    it('rules naming unknown models are config errors with the exact path', () => {
      const raw = { ...structuredClone(DEFAULT_CONFIG), routing: { rules: [{ name: 'a', match: { tags: 'x' }, route: { model: 'gpt-9' } }] } };
      expect(() => parseConfig(raw, 'x', {})).toThrow(ConfigError);
      try {
        parseConfig(raw, 'x', {});
      } catch (err) {
        expect((err as ConfigError).problems).toContain('routing.rules[0].route.model: unknown model "gpt-9"');
      }
    });
  });
});
