// Config of the cloud provider kinds: defaults from the standard environment variables, regional
// URL templates, and the cross-checks that name the exact field.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { buildCatalog } from '../../src/config/catalog.js';
import { regionalProvider } from '../../src/providers/cloud-endpoint.js';

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, 'x.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('cloud provider kinds in the config', () => {
  it('Azure: resource gives the URL, apiVersion a default, AZURE_OPENAI_API_KEY the key; a deployment names the URL segment', () => {
    const { config } = parseConfig(
      { providers: [{ name: 'az', kind: 'azure-openai', resource: 'acme' }], models: [{ name: 'gpt-4o-mini', provider: 'az', deployment: 'prod-mini' }] },
      'x',
      { AZURE_OPENAI_API_KEY: 'k' },
    );
    expect(config.providers[0]).toMatchObject({ baseUrl: 'https://acme.openai.azure.com', apiVersion: '2024-10-21', apiKey: 'k' });
    const d = buildCatalog(config).get('gpt-4o-mini')!;
    expect(d.target).toMatchObject({ upstreamModel: 'gpt-4o-mini', deployment: 'prod-mini' });
    expect(d.pricing.base.input).toBe(150_000); // azure table: $0.15 per million tokens
  });

  it('Bedrock: credentials and region from AWS_*; each deployment is called in its own region at its own price', () => {
    const { config } = parseConfig(
      {
        providers: [{ name: 'br', kind: 'bedrock' }],
        models: [
          { name: 'haiku', provider: 'br', upstreamModel: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' },
          { name: 'haiku', provider: 'br', upstreamModel: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'eu-west-1' },
        ],
      },
      'x',
      { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-2' },
    );
    expect(config.providers[0]).toMatchObject({ region: 'us-east-2', aws: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    const [us, global] = buildCatalog(config).deployments('haiku');
    expect(regionalProvider(us!.target).baseUrl).toBe('https://bedrock-runtime.us-east-2.amazonaws.com');
    expect(regionalProvider(global!.target).baseUrl).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com');
    expect([us!.pricing.base.input, global!.pricing.base.input]).toEqual([1_100_000, 1_000_000]);
    expect([us!.pricing.base.cacheWrite5m, us!.pricing.base.cacheRead]).toEqual([1_375_000, 110_000]);
  });

  it("Bedrock: a profile (the config's, else AWS_PROFILE) wins over the AWS_* keys; with neither, the standard chain", () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: 'from-env' };
    const load = (aws?: unknown, e: Record<string, string> = env) =>
      buildCatalog(
        parseConfig(
          {
            providers: [{ name: 'br', kind: 'bedrock', region: 'us-east-1', ...(aws ? { aws } : {}) }],
            models: [{ name: 'm', provider: 'br', upstreamModel: 'amazon.nova-micro-v1:0' }],
          },
          'x',
          e,
        ).config,
      ).get('m')!.provider;
    expect(load({ profile: 'prod' })).toMatchObject({ awsProfile: 'prod' });
    expect(load({ profile: 'prod' }).aws).toBeUndefined();
    expect(load()).toMatchObject({ awsProfile: 'from-env' });
    expect(load(undefined, {})).not.toHaveProperty('awsProfile');
    expect(load(undefined, {})).not.toHaveProperty('aws');
    expect(problems({ providers: [{ name: 'br', kind: 'bedrock', region: 'us-east-1', aws: { profile: 'p', accessKeyId: 'a' } }] }).join('\n')).toMatch(
      /providers\[0\]\.aws/,
    );
  });

  it('Bedrock: api invoke only for Claude on a bedrock provider, and the target carries it', () => {
    const raw = (provider: string, upstreamModel: string) => ({
      providers: [
        { name: 'br', kind: 'bedrock', region: 'us-east-1' },
        { name: 'oa', kind: 'openai' },
      ],
      models: [{ name: 'm', provider, upstreamModel, api: 'invoke' }],
    });
    expect(buildCatalog(parseConfig(raw('br', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'), 'x', {}).config).get('m')!.target.api).toBe('invoke');
    expect(problems(raw('br', 'amazon.nova-micro-v1:0')).join('\n')).toMatch(
      /models\[0\]\.api: "invoke" needs a bedrock provider and an anthropic\.claude-… model/,
    );
    expect(problems(raw('oa', 'gpt-4o-mini')).join('\n')).toMatch(/models\[0\]\.api: "invoke"/);
  });

  it('Vertex: global and regional endpoints', () => {
    const { config } = parseConfig(
      {
        providers: [{ name: 'vx', kind: 'vertex', project: 'p' }],
        models: [
          { name: 'flash', provider: 'vx', upstreamModel: 'gemini-2.5-flash' },
          { name: 'claude', provider: 'vx', upstreamModel: 'claude-haiku-4-5@20251001', region: 'us-east5' },
        ],
      },
      'x',
      {},
    );
    const catalog = buildCatalog(config);
    expect(regionalProvider(catalog.get('flash')!.target).baseUrl).toBe('https://aiplatform.googleapis.com');
    expect(regionalProvider(catalog.get('claude')!.target).baseUrl).toBe('https://us-east5-aiplatform.googleapis.com');
  });

  it('names the field: a Bedrock model without any region, a deployment off Azure, cloud keys on the wrong kind, unset variables', () => {
    const p = problems({
      providers: [
        { name: 'br', kind: 'bedrock', aws: { accessKeyId: '${NO_SUCH_ID}', secretAccessKey: 's' } },
        { name: 'oa', kind: 'openai', project: 'p' },
      ],
      models: [
        { name: 'haiku', provider: 'br', upstreamModel: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' },
        { name: 'gpt-4o-mini', provider: 'oa', deployment: 'd' },
      ],
    });
    expect(p).toContain('providers[0].aws.accessKeyId: environment variable NO_SUCH_ID is not set');
    expect(p).toContain('providers[1]: project and googleCredentialsFile apply to vertex providers only; "oa" is openai');
    expect(p).toContain('models[0].region: required for bedrock provider "br", which has no region');
    expect(p).toContain('models[1].deployment: only azure-openai providers have deployments; "oa" is openai');
  });
});
