// Bedrock credentials from the standard AWS chain (the official SDK's), with a temporary HOME: a
// named profile in ~/.aws/credentials, the default profile, a credential_process whose answers are
// cached until five minutes before they expire, and a profile that does not exist (a 502 naming
// the provider). The emulator checks every SigV4 signature against its one key.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIError } from 'openai';
import { startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { DEFAULT_CLOUD_CREDENTIALS } from '../../src/emulator/cloud-auth.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { rowsTagged } from './gateway.js';

const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const AWS_VARS = [
  'HOME',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
];
const saved = new Map(AWS_VARS.map((k) => [k, process.env[k]]));

let env: TestEnv | undefined;
let dir: string;

/** A credential_process that counts its runs and answers the emulator key, expiring in `minutes`. */
function credentialProcess(name: string, minutes: number): string {
  const script = join(dir, `${name}.cjs`);
  const counter = join(dir, `${name}.count`);
  const { accessKeyId, secretAccessKey } = DEFAULT_CLOUD_CREDENTIALS.aws;
  writeFileSync(counter, '0');
  writeFileSync(
    script,
    `const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify(counter)}, String(Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1));
process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: ${JSON.stringify(accessKeyId)}, SecretAccessKey: ${JSON.stringify(secretAccessKey)}, SessionToken: 'session', Expiration: new Date(Date.now() + ${minutes} * 60000).toISOString() }));\n`,
  );
  chmodSync(script, 0o755);
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(script)}`;
}

const runs = (name: string): number => Number(readFileSync(join(dir, `${name}.count`), 'utf8'));

function gw(): TestEnv {
  if (!env) throw new Error('the test environment did not start');
  return env;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'costwise-i21c-aws-home-'));
  mkdirSync(join(dir, '.aws'));
  const { accessKeyId, secretAccessKey } = DEFAULT_CLOUD_CREDENTIALS.aws;
  writeFileSync(
    join(dir, '.aws', 'credentials'),
    `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n\n` +
      `[costwise-emulator]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n\n` +
      `[wrong-secret]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = not-the-secret\n`,
  );
  writeFileSync(
    join(dir, '.aws', 'config'),
    `[profile long-lived]\ncredential_process = ${credentialProcess('long', 60)}\n\n[profile expiring]\ncredential_process = ${credentialProcess('short', 4)}\n`,
  );
  for (const k of AWS_VARS) Reflect.deleteProperty(process.env, k);
  process.env.HOME = dir;
  // No instance-metadata probe from a test machine.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const bedrock = (name: string, profile?: string) => ({
    name,
    kind: 'bedrock' as const,
    baseUrl: 'emulator',
    region: 'us-east-1',
    ...(profile ? { aws: { profile } } : {}),
  });
  env = await startTestEnv({
    config: {
      providers: [
        ...structuredClone(DEFAULT_CONFIG.providers),
        bedrock('br-named', 'costwise-emulator'),
        bedrock('br-default'),
        bedrock('br-wrong', 'wrong-secret'),
        bedrock('br-long', 'long-lived'),
        bedrock('br-expiring', 'expiring'),
        bedrock('br-missing', 'no-such-profile'),
      ],
      addModels: ['br-named', 'br-default', 'br-wrong', 'br-long', 'br-expiring', 'br-missing'].map((p) => ({
        name: `${p}-haiku`,
        provider: p,
        upstreamModel: MODEL,
      })),
    },
  });
});

afterAll(async () => {
  await env?.close();
  for (const [k, v] of saved) {
    if (v === undefined) Reflect.deleteProperty(process.env, k);
    else process.env[k] = v;
  }
});

async function chat(model: string, tag: string): Promise<void> {
  await gw().openai.chat.completions.create(
    { model, messages: [{ role: 'user', content: 'Say hello.' }], max_completion_tokens: 20 },
    { headers: { 'x-costwise-tags': tag, 'x-emulator-output-tokens': '7' } },
  );
}

async function refusal(model: string): Promise<APIError> {
  const err = await chat(model, `refused-${model}`).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

const row = async (tag: string) => (await rowsTagged({ url: gw().gateway.url } as Parameters<typeof rowsTagged>[0], tag))[0]!;

describe('Bedrock credentials from the standard AWS chain', () => {
  it('a named profile of ~/.aws/credentials signs the call; the answer is priced at the us. profile price', async () => {
    await chat('br-named-haiku', 'aws-named');
    const r = await row('aws-named');
    expect(r.status).toBe(200);
    expect(r.outputTokens).toBe(7);
    // us. cross-region profile: $1.10 in, $5.50 out per million tokens.
    const expected = BigInt(r.inputTokens) * 1_100_000n + 7n * 5_500_000n;
    expect(BigInt(r.costPico)).toBe(expected);
    expect(usdToPico(r.cost_usd)).toBe(expected);
  });

  it('without keys or a profile, the default profile', async () => {
    await chat('br-default-haiku', 'aws-default');
    expect((await row('aws-default')).status).toBe(200);
  });

  it("a profile whose secret is wrong gets Bedrock's 403, a 502 naming the provider for the caller", async () => {
    const err = await refusal('br-wrong-haiku');
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/br-wrong/);
    expect(err.message).toMatch(/InvalidSignatureException|signature/i);
  });

  it('a profile that does not exist is a 502 naming the provider and the profile', async () => {
    const err = await refusal('br-missing-haiku');
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/provider br-missing: no AWS credentials \(profile no-such-profile\)/);
  });

  it('credentials are cached while valid, and fetched again when they expire within five minutes', async () => {
    for (let i = 0; i < 3; i++) await chat('br-long-haiku', `aws-long-${i}`);
    expect(runs('long')).toBe(1);
    // Each call finds them about to expire and fetches anew, in the background: the still-valid
    // ones sign meanwhile.
    for (let i = 1; i <= 3; i++) {
      await chat('br-expiring-haiku', `aws-expiring-${i}`);
      await expect.poll(() => runs('short')).toBe(i);
      // The process has counted; let the chain take its answer before the next call.
      await new Promise((r) => setTimeout(r, 500));
    }
  });
});
