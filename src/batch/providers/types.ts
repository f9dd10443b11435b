// The one interface costwise's batch runner uses for a provider's batch API.
import type { CanonicalRequest, CanonicalResponse } from '../../core/canonical.js';
import type { ProviderConfig } from '../../providers/types.js';
import type { StoredError } from '../types.js';

/** One request, already in the provider's own wire format. */
export interface NativeItem {
  customId: string;
  body: Record<string, unknown>;
}

export type NativeOutcome =
  { type: 'succeeded'; response: CanonicalResponse } | { type: 'errored'; error: StoredError } | { type: 'expired' } | { type: 'canceled' };

export interface NativeResult {
  customId: string;
  outcome: NativeOutcome;
}

export type NativeStatus =
  | { ended: false; status: string }
  /** `failure`: why items with no result line failed (a batch that failed validation). */
  | { ended: true; status: string; results: NativeResult[]; failure?: StoredError };

export interface CreateOptions {
  /** costwise's own id of this provider batch (OpenAI keeps it in metadata, to find it after a crash). */
  tag: string;
  /** Emulator controls (`x-emulator-*`) of the caller's create request. */
  forwardHeaders: Record<string, string>;
}

export interface NativeBatchClient {
  /** The request body one item sends upstream; `warnings` collects what could not be carried. */
  toUpstreamBody(request: CanonicalRequest, upstreamModel: string, warnings: string[]): Record<string, unknown>;
  create(provider: ProviderConfig, items: readonly NativeItem[], options: CreateOptions): Promise<string>;
  /**
   * After a crash between asking the provider to create a batch and storing its id: the id of
   * the batch that request created, if it did.
   */
  find(provider: ProviderConfig, q: { tag: string; createdAfterMs: number; items: number; known: ReadonlySet<string> }): Promise<string | null>;
  poll(provider: ProviderConfig, upstreamId: string): Promise<NativeStatus>;
  cancel(provider: ProviderConfig, upstreamId: string): Promise<void>;
}
