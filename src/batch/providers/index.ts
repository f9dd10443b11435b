import type { ProviderKind } from '../../providers/types.js';
import { anthropicBatchClient } from './anthropic.js';
import { openAIBatchClient } from './openai.js';
import type { NativeBatchClient } from './types.js';

export type { NativeBatchClient, NativeResult, NativeStatus, NativeItem } from './types.js';

/** The batch API client for a provider kind; undefined when it has none. */
export function nativeClient(kind: ProviderKind): NativeBatchClient | undefined {
  if (kind === 'openai') return openAIBatchClient;
  if (kind === 'anthropic') return anthropicBatchClient;
  return undefined;
}
