// SigV4 request signing for Bedrock with the official AWS signer. One signer per (credentials,
// region), reused; the path is signed exactly as it is sent.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialChain } from './aws-credentials.js';
import type { AwsCredentials } from './types.js';

type Credentials = AwsCredentials | AwsCredentialChain;

export const BEDROCK_SIGNING_SERVICE = 'bedrock';

const signers = new WeakMap<Credentials, Map<string, SignatureV4>>();

function signerFor(credentials: Credentials, region: string): SignatureV4 {
  let byRegion = signers.get(credentials);
  if (byRegion === undefined) {
    byRegion = new Map();
    signers.set(credentials, byRegion);
  }
  let signer = byRegion.get(region);
  if (signer === undefined) {
    signer = new SignatureV4({ service: BEDROCK_SIGNING_SERVICE, region, credentials, sha256: Sha256, uriEscapePath: true });
    byRegion.set(region, signer);
  }
  return signer;
}

export interface SignInput {
  /** Keys, or the standard chain (asked before each signature; it caches). */
  credentials: Credentials;
  region: string;
  /** The request URL's origin (host and port are signed). */
  url: URL;
  /** The full path as sent, already percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The headers with `authorization`, `x-amz-date` (and `x-amz-security-token`) added. */
export async function signRequest(input: SignInput): Promise<Record<string, string>> {
  const { url } = input;
  const signed = await signerFor(input.credentials, input.region).sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: input.path,
    query: {},
    headers: { ...input.headers, host: url.host },
    body: input.body,
  });
  return signed.headers;
}
