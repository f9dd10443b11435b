// Key secrets (generation, hashing, display) and the validation of key and team input.
import { describe, expect, it } from 'vitest';
import { GovernanceError } from '../../src/governance/errors.js';
import { usdToPico } from '../../src/governance/pico.js';
import { keyInputSchema, keyPatchSchema, parseInput, teamInputSchema } from '../../src/governance/schema.js';
import { displayPrefix, generateSecret, hashSecret, isWellFormedSecret, randomBase62 } from '../../src/governance/secret.js';

function invalid(fn: () => unknown): GovernanceError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GovernanceError);
    return err as GovernanceError;
  }
  throw new Error('expected a validation error');
}

describe('key secrets', () => {
  it('are cw- plus 43 base62 characters (≥ 256 bits), all different', () => {
    const secrets = new Set(Array.from({ length: 2000 }, generateSecret));
    expect(secrets.size).toBe(2000);
    for (const s of secrets) {
      expect(s).toMatch(/^cw-[0-9A-Za-z]{43}$/);
      expect(isWellFormedSecret(s)).toBe(true);
    }
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it('use every base62 character about equally (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const ch of randomBase62(62_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800); // expected 1000, sd ≈ 31
  });

  it('are stored only as a SHA-256 hash and a short prefix', () => {
    const secret = generateSecret();
    expect(hashSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(secret)).toBe(hashSecret(secret));
    expect(displayPrefix(secret)).toBe(`${secret.slice(0, 7)}…`);
    expect(isWellFormedSecret(`${secret}x`)).toBe(false);
    expect(isWellFormedSecret('sk-' + secret.slice(3))).toBe(false);
  });
});

describe('key and team validation', () => {
  it('applies defaults', () => {
    expect(parseInput(keyInputSchema, { name: 'ci' }, 'key')).toEqual({
      name: 'ci',
      teamId: null,
      tenant: 'default',
      allowTenantHeader: false,
      models: [],
      budgets: [],
      rpm: null,
      tpm: null,
      tags: [],
      expiresAt: null,
      enabled: true,
      onBudget: 'refuse',
      metadata: {},
    });
  });

  it('accepts budget limits as bigint, safe integer or digit string, beyond 2^53', () => {
    const key = parseInput(
      keyInputSchema,
      {
        name: 'k',
        budgets: [
          { limitPico: '10000000000000000', period: 'month' },
          { limitPico: 5, period: 'day' },
        ],
      },
      'key',
    );
    expect(key.budgets).toEqual([
      { limitPico: 10_000_000_000_000_000n, period: 'month' },
      { limitPico: 5n, period: 'day' },
    ]);
    expect(usdToPico('12.5')).toBe(12_500_000_000_000n);
    expect(usdToPico('0.000000000001')).toBe(1n);
  });

  it('names every rejected field', () => {
    const err = invalid(() =>
      parseInput(
        keyInputSchema,
        {
          name: '',
          budgets: [
            { limitPico: -1, period: 'day' },
            { limitPico: '1.5', period: 'year' },
          ],
          rpm: 0,
          tags: ['a', 'a'],
          color: 'red',
        },
        'key',
      ),
    );
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'budgets[0].limitPico', 'budgets[1].limitPico', 'budgets[1].period', 'rpm', 'tags', '']));
    expect(err.message).toMatch(/^invalid key: /);
    expect(err.message).toContain('budgets[1].period');
    expect(err.kind).toBe('invalid');
  });

  it('rejects two budgets for one period, limits above $4M, unknown patch fields', () => {
    expect(
      invalid(() =>
        parseInput(
          keyInputSchema,
          {
            name: 'k',
            budgets: [
              { limitPico: 1, period: 'day' },
              { limitPico: 2, period: 'day' },
            ],
          },
          'key',
        ),
      ).message,
    ).toMatch(/one budget per period/);
    expect(
      invalid(() => parseInput(keyInputSchema, { name: 'k', budgets: [{ limitPico: 4_000_000_000_000_000_001n, period: 'day' }] }, 'key')).issues[0]!.path,
    ).toBe('budgets[0].limitPico');
    expect(invalid(() => parseInput(keyPatchSchema, { hash: 'x' }, 'key update')).message).toMatch(/hash|Unrecognized/);
    expect(invalid(() => parseInput(teamInputSchema, { id: 'bad id', name: 't' }, 'team')).issues[0]!.path).toBe('id');
  });
});
