// Where a Bedrock provider's SigV4 credentials come from: the keys in its config (or the AWS_*
// variables, resolved at load), else the standard AWS chain of the official SDK
// (`defaultProvider`, what the SDK clients use): ~/.aws/credentials and ~/.aws/config profiles, SSO caches,
// credential_process, web identity, container and instance roles. The SDK memoizes what the chain
// finds and fetches new credentials five minutes before they expire, so one chain per (provider,
// profile) lives for the process. A chain that finds nothing is a 502 naming the provider, and
// is not asked again for FAILURE_MEMO_MS: with no credentials anywhere each lookup would otherwise
// wait out the instance-metadata probe (about a second) on every request.
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { GatewayError } from '../core/errors.js';
import type { AwsCredentials, ProviderConfig } from './types.js';

/** What the SDK's chain is: called before each signature, answered from its memo until near expiry. */
export type AwsCredentialChain = ReturnType<typeof defaultProvider>;

const chains = new Map<string, AwsCredentialChain>();
const FAILURE_MEMO_MS = 10_000;

/** Static credentials as they are; otherwise the provider's (cached) standard chain. */
export function awsCredentialsFor(provider: ProviderConfig): AwsCredentials | AwsCredentialChain {
  if (provider.aws) return provider.aws;
  const key = `${provider.name}\u0000${provider.awsProfile ?? ''}`;
  let chain = chains.get(key);
  if (chain === undefined) {
    const found = defaultProvider(provider.awsProfile !== undefined ? { profile: provider.awsProfile } : {});
    let failed: { error: GatewayError; until: number } | null = null;
    chain = async (props?: Parameters<AwsCredentialChain>[0]) => {
      if (failed !== null && Date.now() < failed.until) throw failed.error;
      try {
        const credentials = await found(props);
        failed = null;
        return credentials;
      } catch (err) {
        failed = { error: noCredentials(provider, err), until: Date.now() + FAILURE_MEMO_MS };
        throw failed.error;
      }
    };
    chains.set(key, chain);
  }
  return chain;
}

function noCredentials(provider: ProviderConfig, err: unknown): GatewayError {
  const profile = provider.awsProfile !== undefined ? ` (profile ${provider.awsProfile})` : '';
  return new GatewayError({
    kind: 'upstream_error',
    message: `provider ${provider.name}: no AWS credentials${profile}: ${err instanceof Error ? err.message : String(err)}`,
    provider: provider.name,
    retryable: false,
  });
}
