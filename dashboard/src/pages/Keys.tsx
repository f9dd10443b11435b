// Virtual keys (/api/keys) and teams (/api/teams): every key with its limits and its own budgets,
// a form that creates one, revoke and rotate. A key's secret is in the answer to its creation or
// rotation only; it is shown here once, in this page's state, and gone when the page is left.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, AuthError, errorMessage, useApi } from '../api.js';
import { count, date, PERIOD_LABEL } from '../format.js';
import type { BudgetPeriod, BudgetView, KeyCreatedResponse, KeysResponse, KeyStatus, KeyView, TeamView, TeamsResponse } from '../types.js';
import { Badge, Card, Empty, ErrorNote, Loading, Meter } from '../components/ui.js';

const STATUS_TONE: Record<KeyStatus, 'good' | 'bad' | 'warn' | 'muted'> = { active: 'good', revoked: 'bad', expired: 'warn', disabled: 'muted' };

/** A secret to show once: a key's on creation, or its new one on rotation. */
interface Secret {
  id: string;
  name: string;
  key: string;
  rotated: boolean;
}

/** The body of POST /api/keys as this form sends it (src/server/admin-keys.ts validates it). */
interface NewKeyBody {
  name: string;
  team?: string;
  tenant?: string;
  budget_usd?: string;
  budget_period?: BudgetPeriod;
  rpm?: number;
  tpm?: number;
  models?: string[];
  tags?: string[];
  expires_at?: string;
  on_budget?: KeyView['on_budget'];
}

/** The body of POST /api/teams as this form sends it. */
interface NewTeamBody {
  name: string;
  id?: string;
  parent?: string;
  budget_usd?: string;
  budget_period?: BudgetPeriod;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A form's text field as a positive whole number, or undefined when left empty. */
function whole(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function BudgetMeters(props: { budgets: BudgetView[]; testId?: string }) {
  if (props.budgets.length === 0) return <span class="muted">none</span>;
  return (
    <>
      {props.budgets.map((b) => (
        <Meter key={`${b.subject}:${b.window}`} used={b.used} spent={b.spent_usd} limit={b.limit_usd} suffix={PERIOD_LABEL[b.period]} testId={props.testId} />
      ))}
    </>
  );
}

function limits(o: { rpm: number | null; tpm: number | null }): string {
  if (o.rpm === null && o.tpm === null) return 'no limit';
  return `${o.rpm === null ? '–' : count(o.rpm)} / ${o.tpm === null ? '–' : count(o.tpm)}`;
}

function SecretOnce(props: { secret: Secret; onDone: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    setCopied('no');
    // The panel opens the page: show the page's top, where the sticky header does not cover it.
    scrollTo({ top: 0 });
    input.current?.select();
  }, [props.secret]);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.secret.key);
      setCopied('yes');
    } catch {
      // No clipboard (an http:// page off localhost, or permission refused): leave it selected.
      input.current?.select();
      setCopied('failed');
    }
  }
  return (
    <section class="secret" aria-live="polite" data-testid="secret-once" data-key={props.secret.id}>
      <h2>{props.secret.rotated ? `New secret for ${props.secret.name}` : `Key ${props.secret.name} created`}</h2>
      <p class="warning">Copy this secret now: you will not see it again. costwise keeps only a hash of it.</p>
      {props.secret.rotated && <p class="hint">The old secret of this key has stopped working; its budgets and spend stay with the key.</p>}
      <div class="row">
        <input
          ref={input}
          readOnly
          value={props.secret.key}
          aria-label="The key's secret"
          onFocus={(e) => e.currentTarget.select()}
          data-testid="secret-value"
        />
        <button type="button" onClick={() => void copy()} data-testid="secret-copy">
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {copied === 'failed' && <p class="hint">This browser did not allow copying: the secret is selected, press Ctrl+C (⌘C on a Mac).</p>}
      <p class="hint">
        Callers send it as the API key of their OpenAI or Anthropic client pointed at this gateway (<code>Authorization: Bearer cw-…</code> or{' '}
        <code>x-api-key: cw-…</code>).
      </p>
      <div>
        <button type="button" onClick={props.onDone} data-testid="secret-done">
          I have saved it
        </button>
      </div>
    </section>
  );
}

/** Revoke and rotate, each asked once more before it is done. */
function KeyActions(props: { k: KeyView; onRotated: (s: Secret) => void; onDone: () => void; onError: (message: string) => void }) {
  const [asking, setAsking] = useState<'revoke' | 'rotate' | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/api/keys/${encodeURIComponent(props.k.id)}`;
  async function run(action: 'revoke' | 'rotate') {
    setBusy(true);
    try {
      if (action === 'revoke') {
        await api<KeyView>(path, { method: 'DELETE' });
      } else {
        const rotated = await api<KeyCreatedResponse>(`${path}/rotate`, { method: 'POST', body: '{}' });
        props.onRotated({ id: rotated.id, name: rotated.name, key: rotated.key, rotated: true });
      }
      props.onDone();
    } catch (err) {
      if (!(err instanceof AuthError)) props.onError(errorMessage(err));
    } finally {
      setBusy(false);
      setAsking(null);
    }
  }
  if (props.k.status === 'revoked') return null;
  if (asking !== null)
    return (
      <>
        <span class="sub confirm-note">{asking === 'revoke' ? 'Calls with it fail at once.' : 'The old secret stops working.'}</span>
        <button type="button" class="danger confirm" disabled={busy} onClick={() => void run(asking)} data-testid="key-confirm">
          {asking === 'revoke' ? 'Revoke' : 'Rotate'}
        </button>
        <button type="button" disabled={busy} onClick={() => setAsking(null)} data-testid="key-cancel">
          Cancel
        </button>
      </>
    );
  return (
    <>
      <button type="button" onClick={() => setAsking('rotate')} data-testid="key-rotate">
        Rotate
      </button>
      <button type="button" class="danger" onClick={() => setAsking('revoke')} data-testid="key-revoke">
        Revoke
      </button>
    </>
  );
}

function KeysTable(props: {
  keys: KeyView[];
  teams: Map<string, TeamView>;
  onRotated: (s: Secret) => void;
  onChanged: () => void;
  onError: (m: string) => void;
}) {
  // Live keys first, newest first within each group.
  const rows = [...props.keys].sort((a, b) => Number(a.status === 'revoked') - Number(b.status === 'revoked') || b.created_at - a.created_at);
  return (
    <div class="scroll">
      <table class="table" data-testid="keys-table">
        <thead>
          <tr>
            <th>name</th>
            <th>prefix</th>
            <th>status</th>
            <th>team</th>
            <th class="hide-sm">tenant</th>
            <th class="hide-sm">models</th>
            <th class="num hide-sm">rpm / tpm</th>
            <th>budget</th>
            <th class="hide-sm">created</th>
            <th class="hide-sm">expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((k) => (
            <tr key={k.id} data-key={k.id} data-name={k.name} class={k.status === 'active' ? '' : 'inactive'}>
              <td class="clip" title={k.id}>
                {k.name}
                {k.tags.length > 0 && <span class="sub">tags: {k.tags.join(', ')}</span>}
              </td>
              <td class="mono nowrap" data-testid="key-prefix">
                {k.prefix}
              </td>
              <td>
                <Badge tone={STATUS_TONE[k.status]} testId="key-status">
                  {k.status}
                </Badge>
                {k.revoked_at !== null && <span class="sub nowrap">{date(k.revoked_at)}</span>}
              </td>
              <td class="clip">{k.team === null ? <span class="muted">–</span> : (props.teams.get(k.team)?.name ?? k.team)}</td>
              <td class="clip hide-sm">{k.tenant}</td>
              <td class="clip hide-sm" title={k.models.join(', ')}>
                {k.models.length === 0 ? <span class="muted">all</span> : k.models.join(', ')}
              </td>
              <td class="num hide-sm">{limits(k)}</td>
              <td data-testid="key-budget">
                <BudgetMeters budgets={k.budgets} />
                {k.budgets.length > 0 && k.on_budget === 'downgrade' && <span class="sub">downgrades when spent</span>}
              </td>
              <td class="hide-sm nowrap">{date(k.created_at)}</td>
              <td class="hide-sm nowrap">{k.expires_at === null ? <span class="muted">never</span> : date(k.expires_at)}</td>
              <td class="actions">
                <KeyActions k={k} onRotated={props.onRotated} onDone={props.onChanged} onError={props.onError} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The new-key form's fields, as typed. */
interface KeyForm {
  name: string;
  team: string;
  tenant: string;
  budget: string;
  period: BudgetPeriod;
  onBudget: KeyView['on_budget'];
  rpm: string;
  tpm: string;
  models: string;
  tags: string;
  expires: string;
}

const EMPTY_KEY: KeyForm = {
  name: '',
  team: '',
  tenant: '',
  budget: '',
  period: 'month',
  onBudget: 'refuse',
  rpm: '',
  tpm: '',
  models: '',
  tags: '',
  expires: '',
};

function NewKeyForm(props: { teams: TeamView[]; onCreated: (s: Secret) => void }) {
  const [f, setF] = useState<KeyForm>(EMPTY_KEY);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<KeyForm>) => setF((x) => ({ ...x, ...patch }));
  const text = (field: 'name' | 'tenant' | 'budget' | 'rpm' | 'tpm' | 'models' | 'tags' | 'expires') => ({
    value: f[field],
    onInput: (e: Event) => set({ [field]: (e.target as HTMLInputElement).value }),
    'data-testid': `new-key-${field}`,
  });

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: NewKeyBody = { name: f.name.trim() };
    if (f.team !== '') body.team = f.team;
    if (f.tenant.trim() !== '') body.tenant = f.tenant.trim();
    if (f.budget.trim() !== '') {
      body.budget_usd = f.budget.trim();
      body.budget_period = f.period;
      body.on_budget = f.onBudget;
    }
    const rpm = whole(f.rpm);
    const tpm = whole(f.tpm);
    if (rpm !== undefined) body.rpm = rpm;
    if (tpm !== undefined) body.tpm = tpm;
    if (list(f.models).length > 0) body.models = list(f.models);
    if (list(f.tags).length > 0) body.tags = list(f.tags);
    if (f.expires !== '') body.expires_at = f.expires;
    try {
      const created = await api<KeyCreatedResponse>('/api/keys', { method: 'POST', body: JSON.stringify(body) });
      setF(EMPTY_KEY);
      props.onCreated({ id: created.id, name: created.name, key: created.key, rotated: false });
    } catch (err) {
      if (!(err instanceof AuthError)) setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" onSubmit={(e) => void submit(e)} data-testid="new-key">
      <label>
        <span>Name</span>
        <input required maxLength={128} placeholder="checkout-service" {...text('name')} />
      </label>
      <label>
        <span>Team</span>
        <select value={f.team} onChange={(e) => set({ team: (e.target as HTMLSelectElement).value })} data-testid="new-key-team">
          <option value="">none</option>
          {props.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Tenant</span>
        <input placeholder="default" {...text('tenant')} />
      </label>
      <label>
        <span>Budget, USD</span>
        <span class="pair">
          <input type="number" min={0} step="any" inputMode="decimal" placeholder="no budget" {...text('budget')} />
          <select
            value={f.period}
            onChange={(e) => set({ period: (e.target as HTMLSelectElement).value as BudgetPeriod })}
            aria-label="Budget period"
            data-testid="new-key-period"
          >
            <option value="day">a day</option>
            <option value="week">a week</option>
            <option value="month">a month</option>
            <option value="total">in total</option>
          </select>
        </span>
      </label>
      <label>
        <span>When the budget is spent</span>
        <select
          value={f.onBudget}
          onChange={(e) => set({ onBudget: (e.target as HTMLSelectElement).value as KeyView['on_budget'] })}
          disabled={f.budget.trim() === ''}
          data-testid="new-key-on-budget"
        >
          <option value="refuse">refuse (402)</option>
          <option value="downgrade">downgrade the model</option>
        </select>
      </label>
      <label>
        <span>Requests a minute</span>
        <input type="number" min={1} step={1} inputMode="numeric" placeholder="no limit" {...text('rpm')} />
      </label>
      <label>
        <span>Tokens a minute</span>
        <input type="number" min={1} step={1} inputMode="numeric" placeholder="no limit" {...text('tpm')} />
      </label>
      <label>
        <span>Models or tiers (comma-separated)</span>
        <input placeholder="all" {...text('models')} />
      </label>
      <label>
        <span>Tags (comma-separated)</span>
        <input placeholder="none" {...text('tags')} />
      </label>
      <label>
        <span>Expires</span>
        <input type="date" {...text('expires')} />
      </label>
      <div class="actions">
        <button type="submit" disabled={busy || f.name.trim() === ''} data-testid="new-key-submit">
          Create key
        </button>
        <span class="hint">The secret is shown once, right after it is made.</span>
      </div>
      {error !== undefined && <ErrorNote message={error} />}
    </form>
  );
}

function NewTeamForm(props: { teams: TeamView[]; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [parent, setParent] = useState('');
  const [budget, setBudget] = useState('');
  const [period, setPeriod] = useState<BudgetPeriod>('month');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: NewTeamBody = { name: name.trim() };
    if (id.trim() !== '') body.id = id.trim();
    if (parent !== '') body.parent = parent;
    if (budget.trim() !== '') {
      body.budget_usd = budget.trim();
      body.budget_period = period;
    }
    try {
      await api<TeamView>('/api/teams', { method: 'POST', body: JSON.stringify(body) });
      setName('');
      setId('');
      setParent('');
      setBudget('');
      props.onCreated();
    } catch (err) {
      if (!(err instanceof AuthError)) setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  const value = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return (
    <form class="form" onSubmit={(e) => void submit(e)} data-testid="new-team">
      <label>
        <span>Team name</span>
        <input required value={name} onInput={value(setName)} placeholder="Research" data-testid="new-team-name" />
      </label>
      <label>
        <span>Id (optional)</span>
        <input value={id} onInput={value(setId)} placeholder="made up if empty" data-testid="new-team-id" />
      </label>
      <label>
        <span>Parent team</span>
        <select value={parent} onChange={value(setParent)} data-testid="new-team-parent">
          <option value="">none</option>
          {props.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Budget, USD</span>
        <span class="pair">
          <input
            type="number"
            min={0}
            step="any"
            inputMode="decimal"
            placeholder="no budget"
            value={budget}
            onInput={value(setBudget)}
            data-testid="new-team-budget"
          />
          <select
            value={period}
            onChange={(e) => setPeriod((e.target as HTMLSelectElement).value as BudgetPeriod)}
            aria-label="Budget period"
            data-testid="new-team-period"
          >
            <option value="day">a day</option>
            <option value="week">a week</option>
            <option value="month">a month</option>
            <option value="total">in total</option>
          </select>
        </span>
      </label>
      <div class="actions">
        <button type="submit" disabled={busy || name.trim() === ''} data-testid="new-team-submit">
          Add team
        </button>
      </div>
      {error !== undefined && <ErrorNote message={error} />}
    </form>
  );
}

function TeamsTable(props: { teams: TeamView[] }) {
  const names = new Map(props.teams.map((t) => [t.id, t.name]));
  return (
    <div class="scroll">
      <table class="table" data-testid="teams-table">
        <thead>
          <tr>
            <th>team</th>
            <th class="hide-sm">parent</th>
            <th class="num">keys</th>
            <th class="num hide-sm">rpm / tpm</th>
            <th>budget</th>
          </tr>
        </thead>
        <tbody>
          {props.teams.map((t) => (
            <tr key={t.id} data-team={t.id}>
              <td class="clip">
                {t.name}
                <span class="sub mono">{t.id}</span>
              </td>
              <td class="clip hide-sm">{t.parent === null ? <span class="muted">–</span> : (names.get(t.parent) ?? t.parent)}</td>
              <td class="num">{count(t.keys)}</td>
              <td class="num hide-sm">{limits(t)}</td>
              <td>
                <BudgetMeters budgets={t.budgets} testId="team-budget" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Keys() {
  const keys = useApi<KeysResponse>('/api/keys');
  const teams = useApi<TeamsResponse>('/api/teams');
  const [secret, setSecret] = useState<Secret | undefined>();
  const [error, setError] = useState<string | undefined>();

  if (keys.error !== undefined) return <ErrorNote message={keys.error} />;
  if (!keys.data) return <Loading />;
  const teamList = teams.data?.data ?? [];
  const teamsById = new Map(teamList.map((t) => [t.id, t]));
  const live = keys.data.data.filter((k) => k.status === 'active').length;
  const changed = () => {
    setError(undefined);
    keys.reload();
    teams.reload();
  };
  return (
    <div class="page">
      <h1>Keys</h1>
      {secret !== undefined && <SecretOnce secret={secret} onDone={() => setSecret(undefined)} />}
      {error !== undefined && <ErrorNote message={error} />}
      <div class="grid">
        <Card title={`Virtual keys · ${count(live)} active of ${count(keys.data.data.length)}`} wide testId="keys">
          {keys.data.data.length === 0 ? (
            <Empty testId="keys-empty">
              <p>
                <strong>No virtual keys yet.</strong> While there are none, a gateway on a loopback address serves anyone who reaches it.
              </p>
              <p>
                Create one below: from then on every call needs a key (unless the configuration says <code>server.auth: open</code>).
              </p>
            </Empty>
          ) : (
            <KeysTable keys={keys.data.data} teams={teamsById} onRotated={setSecret} onChanged={changed} onError={setError} />
          )}
        </Card>
        <Card title="New key" wide testId="new-key-card">
          <NewKeyForm
            teams={teamList}
            onCreated={(s) => {
              setSecret(s);
              changed();
            }}
          />
        </Card>
        <Card title="Teams" wide testId="teams">
          {teams.error !== undefined && <ErrorNote message={teams.error} />}
          {teams.data === undefined ? (
            <Loading />
          ) : teamList.length === 0 ? (
            <p class="muted" data-testid="teams-empty">
              No teams yet. A team groups keys under a shared budget and rate limits.
            </p>
          ) : (
            <TeamsTable teams={teamList} />
          )}
          <h2 class="subhead">New team</h2>
          <NewTeamForm teams={teamList} onCreated={teams.reload} />
        </Card>
      </div>
    </div>
  );
}
