// What an authenticated key may do: tenant choice, model access, team chains.
import { describe, expect, it } from 'vitest';
import { isModelAllowed, resolveTenant, teamChain } from '../../src/governance/access.js';
import type { KeyRecord, TeamRecord } from '../../src/governance/schema.js';

const key = (fields: Partial<KeyRecord>) => ({ tenant: 'acme', allowTenantHeader: false, models: [], ...fields }) as KeyRecord;
const team = (id: string, parentId: string | null) => ({ id, parentId }) as TeamRecord;

describe('access', () => {
  it('honours x-costwise-tenant only when the key allows it', () => {
    expect(resolveTenant({ key: key({}), header: undefined })).toEqual({ ok: true, tenant: 'acme', source: 'key' });
    expect(resolveTenant({ key: key({}), header: 'other' })).toEqual({ ok: false, reason: 'tenant_header_not_allowed' });
    expect(resolveTenant({ key: key({ allowTenantHeader: true }), header: 'other' })).toEqual({ ok: true, tenant: 'other', source: 'header' });
    expect(resolveTenant({ key: key({ allowTenantHeader: true }), header: 'has space' })).toEqual({ ok: false, reason: 'invalid_tenant_header' });
  });

  it('allows models by name or tier; an empty list allows all', () => {
    expect(isModelAllowed({ key: key({}), model: 'gpt-4.1' })).toBe(true);
    const k = key({ models: ['cheap', 'claude-sonnet-4-5'] });
    expect(isModelAllowed({ key: k, model: 'claude-sonnet-4-5' })).toBe(true);
    expect(isModelAllowed({ key: k, model: 'gpt-4.1-nano', tier: 'cheap' })).toBe(true);
    expect(isModelAllowed({ key: k, model: 'gpt-4.1', tier: 'frontier' })).toBe(false);
    expect(isModelAllowed({ key: k, model: 'gpt-4.1' })).toBe(false);
  });

  it('walks the team chain nearest first, stopping at a missing parent or a cycle', () => {
    const teams = new Map([
      ['a', team('a', 'b')],
      ['b', team('b', 'c')],
      ['c', team('c', null)],
      ['x', team('x', 'y')],
      ['y', team('y', 'x')],
      ['m', team('m', 'ghost')],
    ]);
    expect(teamChain('a', teams).map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(teamChain('x', teams).map((t) => t.id)).toEqual(['x', 'y']);
    expect(teamChain('m', teams).map((t) => t.id)).toEqual(['m']);
    expect(teamChain(null, teams)).toEqual([]);
  });
});
