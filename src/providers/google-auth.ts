// Vertex AI credentials: a service account's key signs a self-signed JWT (google-auth-library's
// "JWT access with scope"), sent as the bearer token. This needs no token endpoint round trip, and
// lets the emulator verify the signature against the account's public key. One client per
// credentials file, which caches and renews its token.
import { readFileSync } from 'node:fs';
import { JWT } from 'google-auth-library';
import { GatewayError } from '../core/errors.js';
import type { ProviderConfig } from './types.js';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

interface ServiceAccount {
  client: JWT;
  projectId: string | undefined;
}

const accounts = new Map<string, ServiceAccount>();

function accountFor(provider: ProviderConfig): ServiceAccount {
  const file = provider.googleCredentialsFile;
  if (file === undefined) {
    throw new GatewayError({
      kind: 'upstream_error',
      message: `provider ${provider.name}: no service-account credentials (set googleCredentialsFile or GOOGLE_APPLICATION_CREDENTIALS)`,
      provider: provider.name,
    });
  }
  let account = accounts.get(file);
  if (account === undefined) {
    const json = readServiceAccount(file, provider.name);
    const client = new JWT({
      email: json.client_email,
      key: json.private_key,
      ...(json.private_key_id ? { keyId: json.private_key_id } : {}),
      scopes: [SCOPE],
    });
    client.useJWTAccessWithScope = true;
    account = { client, projectId: json.project_id };
    accounts.set(file, account);
  }
  return account;
}

function readServiceAccount(file: string, providerName: string): { client_email: string; private_key: string; private_key_id?: string; project_id?: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GatewayError({
      kind: 'upstream_error',
      message: `provider ${providerName}: cannot read service-account file ${file}: ${(err as Error).message}`,
      provider: providerName,
    });
  }
  const j = json as Record<string, unknown>;
  if (typeof j.client_email !== 'string' || typeof j.private_key !== 'string') {
    throw new GatewayError({ kind: 'upstream_error', message: `provider ${providerName}: ${file} has no client_email / private_key`, provider: providerName });
  }
  return {
    client_email: j.client_email,
    private_key: j.private_key,
    ...(typeof j.private_key_id === 'string' ? { private_key_id: j.private_key_id } : {}),
    ...(typeof j.project_id === 'string' ? { project_id: j.project_id } : {}),
  };
}

/** `authorization: Bearer …` for the provider's service account. */
export async function googleAuthorization(provider: ProviderConfig): Promise<string> {
  const headers = await accountFor(provider).client.getRequestHeaders();
  const value = headers.get('authorization');
  if (value === null) throw new GatewayError({ kind: 'upstream_error', message: `provider ${provider.name}: no access token`, provider: provider.name });
  return value;
}

/** The configured project, else the service account's own. */
export function vertexProject(provider: ProviderConfig): string {
  const project = provider.project ?? accountFor(provider).projectId;
  if (project === undefined) {
    throw new GatewayError({
      kind: 'upstream_error',
      message: `provider ${provider.name}: no Vertex project (set project or GOOGLE_CLOUD_PROJECT)`,
      provider: provider.name,
    });
  }
  return project;
}
