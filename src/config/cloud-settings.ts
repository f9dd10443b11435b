// Per-kind settings of the cloud providers (Azure OpenAI, Bedrock, Vertex) resolved from the
// config and the standard environment variables, once at load. Returns the problems found.
import type { ProviderEntry } from './schema.js';
import { ENV_REF, resolveSecret } from './secret.js';

/** The Azure OpenAI data-plane GA version used when the config names none. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

export function resolveCloudSettings(p: ProviderEntry, path: string, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const secret = (field: string, value: string | undefined): string | undefined => {
    const resolved = resolveSecret(value, env);
    if (value !== undefined && ENV_REF.test(value) && resolved === undefined) {
      problems.push(`${path}.${field}: environment variable ${value.slice(2, -1)} is not set`);
    }
    return resolved;
  };
  if (p.kind !== 'azure-openai' && (p.resource !== undefined || p.apiVersion !== undefined || p.entraToken !== undefined)) {
    problems.push(`${path}: resource, apiVersion and entraToken apply to azure-openai providers only; "${p.name}" is ${p.kind}`);
  }
  if (p.kind !== 'bedrock' && p.aws !== undefined) problems.push(`${path}.aws: applies to bedrock providers only; "${p.name}" is ${p.kind}`);
  if (p.kind !== 'vertex' && (p.project !== undefined || p.googleCredentialsFile !== undefined)) {
    problems.push(`${path}: project and googleCredentialsFile apply to vertex providers only; "${p.name}" is ${p.kind}`);
  }
  if (p.kind === 'azure-openai') {
    p.apiVersion ??= DEFAULT_AZURE_API_VERSION;
    const token = secret('entraToken', p.entraToken) ?? (p.apiKey === undefined ? env.AZURE_OPENAI_AD_TOKEN : undefined);
    if (token !== undefined) p.entraToken = token;
    else delete p.entraToken;
  }
  if (p.kind === 'bedrock') {
    p.region ??= env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const given = p.aws;
    if (given !== undefined && 'accessKeyId' in given) {
      const accessKeyId = secret('aws.accessKeyId', given.accessKeyId);
      const secretAccessKey = secret('aws.secretAccessKey', given.secretAccessKey);
      const sessionToken = secret('aws.sessionToken', given.sessionToken);
      if (accessKeyId !== undefined && secretAccessKey !== undefined) p.aws = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
      else delete p.aws;
    } else {
      // A profile (the config's, else AWS_PROFILE) is read from ~/.aws; without one, the AWS_*
      // keys when set; otherwise the standard chain looks for them when the first call is signed.
      const profile = given?.profile ?? env.AWS_PROFILE;
      if (profile !== undefined) p.aws = { profile };
      else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        p.aws = {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        };
      } else delete p.aws;
    }
  }
  if (p.kind === 'vertex') {
    p.region ??= env.GOOGLE_CLOUD_LOCATION ?? 'global';
    const project = p.project ?? env.GOOGLE_CLOUD_PROJECT;
    if (project !== undefined) p.project = project;
    const file = p.googleCredentialsFile ?? env.GOOGLE_APPLICATION_CREDENTIALS;
    if (file !== undefined) p.googleCredentialsFile = file;
  }
  return problems;
}
