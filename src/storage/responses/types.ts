// Stored Responses API answers (`store: true`): what `GET /v1/responses/{id}`, its input items and
// `previous_response_id` read. Every read and delete names its owner: one caller never sees another
// caller's responses, even with the id.

export interface ResponseOwner {
  tenant: string;
  keyId: string;
}

export interface StoredResponse extends ResponseOwner {
  /** `resp_…` */
  id: string;
  /** Epoch ms. */
  createdAt: number;
  /** The Response object as the caller received it. */
  response: Record<string, unknown>;
  /** The conversation's input items up to this response (a previous response's included), ids assigned. */
  input: unknown[];
}

export interface ResponseStore {
  put(r: StoredResponse): Promise<void>;
  /** null when missing, expired or another owner's. */
  get(id: string, owner: ResponseOwner): Promise<StoredResponse | null>;
  /** false when there was nothing of this owner's to delete. */
  delete(id: string, owner: ResponseOwner): Promise<boolean>;
  close(): Promise<void>;
}

/** OpenAI keeps stored responses 30 days; so does costwise. */
export const RESPONSE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
