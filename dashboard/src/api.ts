// Every call to the admin API goes through here: it adds the admin key (kept in sessionStorage for
// this tab only) and turns a 401 into AuthError, on which the app shows its login form.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiErrorResponse } from './types.js';

const KEY_STORAGE = 'costwise.adminKey';

export class AuthError extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const authListeners = new Set<() => void>();

/** Called when the API asks for the admin key. */
export function onAuthRequired(listener: () => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function setAdminKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function clearAdminKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export function hasAdminKey(): boolean {
  return sessionStorage.getItem(KEY_STORAGE) !== null;
}

/** What went wrong, for the page: an Error's message, or the thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) {
    for (const listener of authListeners) listener();
    throw new AuthError('the admin key is required');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const message = (body as Partial<ApiErrorResponse> | null)?.error?.message ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
  return body as T;
}

/** Builds `/api/...?a=b` leaving out undefined and empty values. */
export function apiPath(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  /** The HTTP status of the error, when the API answered one. */
  errorStatus: number | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (null: nothing yet) and again whenever it changes. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; errorStatus?: number; loading: boolean }>({ loading: path !== null });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) =>
        live &&
        setState({
          error: err instanceof AuthError ? undefined : errorMessage(err),
          errorStatus: err instanceof ApiError ? err.status : undefined,
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [path, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, errorStatus: state.errorStatus, loading: state.loading, reload };
}
