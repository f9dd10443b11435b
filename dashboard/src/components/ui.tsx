// Small presentational pieces shared by the pages.
import type { ComponentChildren } from 'preact';
import { pct, usd } from '../format.js';

export function Card(props: { title: string; children: ComponentChildren; wide?: boolean; testId?: string }) {
  return (
    <section class={props.wide ? 'card wide' : 'card'} data-testid={props.testId}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: string; note?: string; exact?: string; testId?: string; tone?: 'good' | 'bad' }) {
  return (
    <div class={`stat ${props.tone ?? ''}`}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value" data-testid={props.testId} data-value={props.exact ?? props.value} title={props.exact}>
        {props.value}
      </div>
      {props.note !== undefined && <div class="stat-note">{props.note}</div>}
    </div>
  );
}

/** Money shown rounded, exact on hover and in data-value. */
export function Usd(props: { value: string; testId?: string }) {
  return (
    <span class="num" title={`$${props.value}`} data-value={props.value} data-testid={props.testId}>
      {usd(props.value)}
    </span>
  );
}

export function Empty(props: { children: ComponentChildren; testId?: string }) {
  return (
    <div class="empty" data-testid={props.testId ?? 'empty'}>
      {props.children}
    </div>
  );
}

export function Loading() {
  return <div class="loading">Loading…</div>;
}

export function ErrorNote(props: { message: string }) {
  return (
    <div class="error" role="alert">
      {props.message}
    </div>
  );
}

/** Horizontal bars: one per item, its share of the largest. */
export function Bars(props: { items: Array<{ label: string; value: number; display: string; exact?: string }>; testId?: string }) {
  const max = Math.max(...props.items.map((i) => Math.abs(i.value)), 0);
  return (
    <ul class="bars" data-testid={props.testId}>
      {props.items.map((i) => (
        <li key={i.label}>
          <span class="bar-label">{i.label}</span>
          <span class="bar-track">
            <span class={i.value < 0 ? 'bar-fill negative' : 'bar-fill'} style={{ width: `${max > 0 ? (Math.abs(i.value) / max) * 100 : 0}%` }} />
          </span>
          <span class="bar-value num" title={i.exact} data-value={i.exact ?? i.display}>
            {i.display}
          </span>
        </li>
      ))}
    </ul>
  );
}

export const FRESH_INSTALL_HINT = (
  <>
    <p>No requests in this range yet. Send one through the gateway, for example:</p>
    <pre>{`curl -s http://127.0.0.1:4000/v1/chat/completions \\
  -H 'content-type: application/json' -H 'authorization: Bearer anything' \\
  -d '{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"Hello!"}]}'`}</pre>
  </>
);

/**
 * Spend against a limit: a bar (amber from 80 %, red when spent) with the amounts. `used` is the
 * share spent, 0–1 or above; the exact amounts are in the Usd elements' data-value.
 */
export function Meter(props: { used: number; spent: string; limit: string; suffix?: string; testId?: string }) {
  const shown = Math.min(Math.max(props.used, 0), 1);
  const tone = props.used >= 1 ? 'bad' : props.used >= 0.8 ? 'warn' : '';
  return (
    <div class={`meter ${tone}`} data-testid={props.testId} data-used={props.used}>
      <span class="meter-track" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={shown} aria-label={`${pct(props.used)} of the budget spent`}>
        {/* Any spend at all shows as a sliver, so a fresh budget and a barely used one differ. */}
        <span class="meter-fill" style={{ width: props.used > 0 ? `max(2px, ${shown * 100}%)` : '0' }} />
      </span>
      <span class="meter-text">
        <Usd value={props.spent} testId="meter-spent" /> of <Usd value={props.limit} testId="meter-limit" />
        {props.suffix !== undefined && ` ${props.suffix}`} <span class="muted">· {pct(props.used)}</span>
      </span>
    </div>
  );
}

export function Badge(props: { children: ComponentChildren; tone?: 'good' | 'bad' | 'warn' | 'muted'; testId?: string }) {
  return (
    <span class={`badge ${props.tone ?? ''}`} data-testid={props.testId}>
      {props.children}
    </span>
  );
}
