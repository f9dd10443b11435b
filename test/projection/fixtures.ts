// A two-model catalog at round prices (so the hand arithmetic in the tests stays readable) and the
// small scenario the hand-computed tests use, written to a temporary directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

// USD per million tokens. Both on an Anthropic-kind provider: batch API at 50%, 5m writes at 1.25×.
export const CONFIG_YAML = `
providers:
  - { name: anthropic, kind: anthropic, baseUrl: emulator, apiKey: test }
models:
  - { name: big, provider: anthropic, tier: frontier, pricing: { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 } }
  - { name: small, provider: anthropic, tier: cheap, pricing: { input: 1, output: 5, cacheRead: 0.1, cacheWrite5m: 1.25, cacheWrite1h: 2 } }
`;

/** The hand-computed scenario: 2 months (1,000 then 2,000 requests), 2 request types. */
export function handScenario(): Record<string, unknown> {
  return {
    name: 'hand-computed',
    config: 'costwise.yaml',
    months: 2,
    volume: { launch: 1000, growth: 1 },
    naive_model: 'big',
    scale_factors: [1, 3],
    mix: [
      {
        name: 'faq',
        share: 0.6,
        input_tokens: 1000,
        output_tokens: 200,
        serve: { tier: 'cheap' },
        assumptions: {
          prompt_optimization: 0.1,
          response_cache: { exact_hit_rate: 0.1, semantic_hit_rate: 0.1 },
          prompt_cache: { prefix_share: 0.5, reuse_rate: 0.8 },
        },
      },
      {
        name: 'summary',
        share: 0.4,
        input_tokens: 2000,
        output_tokens: 500,
        serve: { model: 'big' },
        assumptions: { batchable_share: 0.5 },
      },
    ],
  };
}

export class TempDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'costwise-projection-'));

  constructor() {
    writeFileSync(join(this.dir, 'costwise.yaml'), CONFIG_YAML);
  }

  /** Writes a scenario (object → YAML, or text as is) and returns its path. */
  scenario(content: Record<string, unknown> | string, name = 'scenario.yaml'): string {
    const path = join(this.dir, name);
    writeFileSync(path, typeof content === 'string' ? content : stringify(content));
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
