// How the emulator checks the clouds' credentials, each the way the real service does:
// - Bedrock: a SigV4 signature, recomputed with the official signer from the known secret; an
//   unknown key id is `UnrecognizedClientException`, a wrong signature `InvalidSignatureException`
//   (both 403, as Bedrock answers);
// - Azure OpenAI: the `api-key` header (or an Entra bearer token), else 401;
// - Vertex: a bearer JWT self-signed by a registered service account (RS256 against its public
//   key; google-auth-library's "JWT access with scope"), else 401 UNAUTHENTICATED.
import { createHash, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { EmuError } from './errors.js';

export interface CloudCredentials {
  aws: { accessKeyId: string; secretAccessKey: string };
  azureApiKey: string;
  /** Service-account email → its public key (PEM). */
  googleServiceAccounts: Record<string, string>;
}

export const DEFAULT_CLOUD_CREDENTIALS: CloudCredentials = {
  aws: { accessKeyId: 'AKIAEMULATOR00000000', secretAccessKey: 'emulator-aws-secret-access-key' },
  azureApiKey: 'emulated',
  googleServiceAccounts: {},
};

const CONTENT_SHA256 = 'x-amz-content-sha256';

const AUTH_HEADER = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

const bedrockDenied = (type: string, message: string): EmuError => new EmuError(403, message, { code: type });

/** Throws Bedrock's 403 unless the request carries a valid SigV4 signature by the known key. */
export async function checkSigV4(req: IncomingMessage, rawPath: string, body: string, creds: CloudCredentials['aws']): Promise<void> {
  const header = req.headers.authorization;
  const date = req.headers['x-amz-date'];
  if (header === undefined || typeof date !== 'string') throw bedrockDenied('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_HEADER.exec(header);
  if (!m) throw bedrockDenied('IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature parameters.');
  const [, keyId, , region, service, signedList, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (keyId !== creds.accessKeyId) throw bedrockDenied('UnrecognizedClientException', 'The security token included in the request is invalid.');
  const headers: Record<string, string> = {};
  for (const name of signedList.split(';')) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v.join(',') : (v ?? '');
  }
  // The signer takes a given payload hash on trust; the body received decides it here, so a body
  // changed after signing fails like any other signature mismatch.
  if (CONTENT_SHA256 in headers) headers[CONTENT_SHA256] = createHash('sha256').update(body).digest('hex');
  const signer = new SignatureV4({ service, region, credentials: creds, sha256: Sha256, uriEscapePath: true });
  const [host, port] = (headers.host ?? '').split(':');
  const signed = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: host ?? '', ...(port ? { port: Number(port) } : {}), path: rawPath, query: {}, headers, body },
    { signingDate: parseAmzDate(date), signableHeaders: new Set(signedList.split(';')) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? '')?.[1] ?? '';
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw bedrockDenied(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
}

/** `20250101T120000Z` → Date. */
function parseAmzDate(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw bedrockDenied('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${s}'.`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

const AZURE_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

/** Azure OpenAI: the resource key, or any bearer token (Entra tokens are not verified). */
export function checkAzureKey(req: IncomingMessage, key: string): void {
  const given = req.headers['api-key'];
  if (given === key) return;
  if (given === undefined && /^Bearer\s+\S/.test(req.headers.authorization ?? '')) return;
  throw new EmuError(401, AZURE_DENIED, { code: '401' });
}

const GOOGLE_DENIED =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/** Vertex: a self-signed service-account JWT, RS256 over its registered public key, not expired. */
export function checkGoogleJwt(req: IncomingMessage, accounts: Record<string, string>, nowMs: number): void {
  const token = /^Bearer\s+(\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  const parts = token?.split('.');
  if (parts?.length !== 3) throw new EmuError(401, GOOGLE_DENIED);
  const [head, payload, sig] = parts as [string, string, string];
  let claims: { iss?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: unknown };
  } catch {
    throw new EmuError(401, GOOGLE_DENIED);
  }
  const pem = typeof claims.iss === 'string' ? accounts[claims.iss] : undefined;
  if (pem === undefined) throw new EmuError(401, GOOGLE_DENIED);
  const ok = verify('RSA-SHA256', Buffer.from(`${head}.${payload}`), createPublicKey(pem), Buffer.from(sig, 'base64url'));
  if (!ok || typeof claims.exp !== 'number' || claims.exp * 1000 < nowMs) throw new EmuError(401, GOOGLE_DENIED);
}
