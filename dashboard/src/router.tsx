// A minimal client-side router over the History API: paths under /ui/ (the gateway answers any
// of them with index.html), links that navigate without a reload.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui';

function current(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return path === '' ? '/' : path;
}

export function navigate(to: string): void {
  history.pushState(null, '', `${BASE}${to}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The path below /ui, e.g. "/requests/cw_123". */
export function useRoute(): string {
  const [path, setPath] = useState(current);
  useEffect(() => {
    const onPop = () => setPath(current());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return path;
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; testId?: string }) {
  return (
    <a
      href={`${BASE}${props.to}`}
      class={props.class}
      data-testid={props.testId}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
