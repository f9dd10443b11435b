// Asks for the admin key (COSTWISE_ADMIN_KEY) and checks it before keeping it for this tab.
import { useState } from 'preact/hooks';
import { api, AuthError, clearAdminKey, errorMessage, setAdminKey } from '../api.js';
import type { CacheStoreResponse } from '../types.js';

export function Login(props: { onDone: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setAdminKey(key);
    try {
      await api<CacheStoreResponse>('/api/cache');
      props.onDone();
    } catch (err) {
      clearAdminKey();
      setError(err instanceof AuthError ? 'That key was not accepted.' : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="login card" onSubmit={(e) => void submit(e)} data-testid="login">
      <h1>Admin key required</h1>
      <p>This gateway has an admin key. Enter it to see the dashboard; it is kept for this browser tab only.</p>
      <label>
        Admin key
        <input
          type="password"
          autocomplete="current-password"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          data-testid="admin-key"
          required
        />
      </label>
      {error !== undefined && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <button type="submit" disabled={busy || key === ''} data-testid="login-submit">
        Sign in
      </button>
    </form>
  );
}
