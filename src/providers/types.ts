// The one interface every upstream client implements. Adapters translate the canonical shape to
// their provider's wire format, call it over an undici Pool and translate back.
import type { CanonicalRequest, CanonicalResponse, EmbeddingRequest, EmbeddingResponse, StreamEvent, WireFormat } from '../core/canonical.js';
import type { CancelSignal } from '../core/cancel.js';

export type ProviderKind = 'openai' | 'anthropic' | 'gemini' | 'openai-compatible' | 'azure-openai' | 'bedrock' | 'vertex';

/** AWS credentials for SigV4 (Bedrock). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A configured upstream account: where to send requests and how to authenticate. */
export interface ProviderConfig {
  name: string;
  kind: ProviderKind;
  /** Base URL without the version path, e.g. `https://api.openai.com` or `http://127.0.0.1:4100`. */
  baseUrl: string;
  apiKey?: string;
  /** Extra headers sent on every upstream call. */
  headers: Record<string, string>;
  /** Upstream request timeout in milliseconds. */
  timeoutMs: number;
  /** Max concurrent connections to the upstream. */
  connections: number;
  /** Gemini explicit context caching; absent means the adapter's default (on). */
  contextCache?: { enabled: boolean; ttlSeconds: number };
  /** Azure OpenAI `api-version` query parameter. */
  apiVersion?: string;
  /** Azure OpenAI Entra ID bearer token (used instead of the `api-key` header). */
  entraToken?: string;
  /** Bedrock / Vertex region (a deployment's own `region` overrides it); Vertex `global` means the global endpoint. */
  region?: string;
  /** Vertex project id. */
  project?: string;
  /** Bedrock SigV4 keys; absent, the standard AWS chain finds them (src/providers/aws-credentials.ts). */
  aws?: AwsCredentials;
  /** Bedrock: the ~/.aws profile the standard chain reads (`aws.profile`, else AWS_PROFILE). */
  awsProfile?: string;
  /** Vertex: path of the service-account JSON file. */
  googleCredentialsFile?: string;
}

/** What an adapter needs about the model it is calling. */
export interface UpstreamTarget {
  provider: ProviderConfig;
  /** The provider's own model id. */
  upstreamModel: string;
  /** OpenAI-format upstreams: POST /v1/responses instead of Chat Completions; Bedrock: InvokeModel with Anthropic's body instead of Converse. */
  api?: 'responses' | 'invoke';
  /** Azure OpenAI deployment name (the URL segment); defaults to upstreamModel. */
  deployment?: string;
  /** Bedrock / Vertex: the deployment's region, overriding the provider's. */
  region?: string;
  /** OpenAI / Azure OpenAI `service_tier` the deployment is called with (default tier when absent). */
  serviceTier?: 'flex' | 'priority';
}

export interface CallOptions {
  signal?: CancelSignal;
  /** Headers to forward to the upstream (e.g. emulator fault-injection headers). */
  forwardHeaders?: Record<string, string>;
}

/** Unsupported-parameter notes produced during translation (never silently dropped). */
export type Warnings = string[];

export interface CompletionResult {
  response: CanonicalResponse;
  upstreamRequestId?: string;
  /** Rate-limit and similar headers from the upstream, passed back to the caller. */
  upstreamHeaders: Record<string, string>;
}

export interface StreamResult {
  events: AsyncIterable<StreamEvent>;
  upstreamRequestId?: string;
  upstreamHeaders: Record<string, string>;
}

export interface ProviderAdapter {
  readonly format: WireFormat;
  complete(target: UpstreamTarget, request: CanonicalRequest, warnings: Warnings, options: CallOptions): Promise<CompletionResult>;
  /** Always asks the upstream for usage, whatever the client asked. */
  stream(target: UpstreamTarget, request: CanonicalRequest, warnings: Warnings, options: CallOptions): Promise<StreamResult>;
  embed?(target: UpstreamTarget, request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResponse>;
  /** Exact input token count from the provider, where it offers one. */
  countTokens?(target: UpstreamTarget, request: CanonicalRequest, options: CallOptions): Promise<number>;
  close(): Promise<void>;
}
