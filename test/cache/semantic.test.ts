import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createApiEmbedder,
  createBuiltinEmbedder,
  createLocalModelEmbedder,
  evaluatePairs,
  NamespacedVectorIndex,
  INVERTED_FROM,
  parsePairs,
  SemanticMatcher,
  verify,
} from '../../src/cache/semantic/index.js';

describe('verifier', () => {
  it('accepts a paraphrase with the same decisive details', () => {
    const r = verify('What is the relationship between sociology and law?', "What's the relationship between law and sociology?");
    expect(r.accept).toBe(true);
    expect(r.reasons).toEqual([]);
  });
  it('rejects different numbers', () => {
    const r = verify('Which is the best laptop to buy under 30k?', 'Which is the best laptop to buy under 50k?');
    expect(r.accept).toBe(false);
    expect(r.reasons.join()).toMatch(/numbers/);
    expect(verify('How do I get 2 tickets?', 'How do I get two tickets?').reasons.join()).not.toMatch(/numbers/);
  });
  it('rejects different names and acronyms', () => {
    expect(verify('How do I learn Python quickly?', 'How do I learn Java quickly?').accept).toBe(false);
    expect(verify('Is the NSA spying on me?', 'Is the CIA spying on me?').reasons.join()).toMatch(/names/);
  });
  it('rejects a flipped negation', () => {
    const r = verify('Why should I learn to drive?', 'Why should I not learn to drive?');
    expect(r.accept).toBe(false);
    expect(r.reasons).toContain('negation differs');
    expect(verify("Why can't I sleep at night?", 'Why can I not sleep at night?').reasons).not.toContain('negation differs');
  });
  it('rejects opposite comparisons and different question types', () => {
    expect(verify('What is the best phone to buy?', 'What is the worst phone to buy?').reasons.join()).toMatch(/comparison/);
    expect(verify('Where was Albert Einstein born?', 'When was Albert Einstein born?').reasons.join()).toMatch(/question type/);
  });
});

describe('vector index', () => {
  const unit = (dim: number, hot: number): Float32Array => {
    const v = new Float32Array(dim).fill(0.01);
    v[hot] = 1;
    return v;
  };
  it('never returns an entry of another namespace', () => {
    const idx = new NamespacedVectorIndex({ dim: 8 });
    idx.add('tenant-a', 'x', unit(8, 1));
    idx.add('tenant-b', 'y', unit(8, 1));
    expect(idx.search('tenant-a', unit(8, 1), 5).map((h) => h.id)).toEqual(['x']);
    expect(idx.search('tenant-b', unit(8, 1), 5).map((h) => h.id)).toEqual(['y']);
    expect(idx.search('tenant-c', unit(8, 1), 5)).toEqual([]);
    expect(idx.size('tenant-a')).toBe(1);
    expect(idx.size()).toBe(2);
  });
  it('keeps namespaces apart after moving to HNSW, and removes entries', () => {
    const idx = new NamespacedVectorIndex({ dim: 8, exactLimit: 4 });
    for (let i = 0; i < 10; i++) idx.add('a', `a${i}`, unit(8, i % 8));
    idx.add('b', 'b0', unit(8, 3));
    const hits = idx.search('a', unit(8, 3), 10);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.id.startsWith('a'))).toBe(true);
    expect(hits[0]!.similarity).toBeGreaterThan(0.99);
    expect(idx.remove('a', 'a3')).toBe(true);
    expect(idx.search('a', unit(8, 3), 10).some((h) => h.id === 'a3')).toBe(false);
    expect(idx.size('a')).toBe(9);
  });
  it('exact search finds the nearest and stays dense after removal', () => {
    const idx = new NamespacedVectorIndex({ dim: 8 });
    for (let i = 0; i < 8; i++) idx.add('n', `e${i}`, unit(8, i));
    idx.remove('n', 'e2');
    expect(idx.search('n', unit(8, 7), 1)[0]!.id).toBe('e7');
    expect(idx.search('n', unit(8, 2), 8).some((h) => h.id === 'e2')).toBe(false);
    expect(() => idx.search('n', new Float32Array(4), 1)).toThrow(/width/);
  });
  it('past INVERTED_FROM entries scans its nearest lists only: near-duplicates still found, exact similarities, removals and replacements kept', () => {
    const dim = 32;
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const centres = Array.from({ length: 300 }, () => Float32Array.from({ length: dim }, rand));
    const vectors = Array.from({ length: INVERTED_FROM + 500 }, (_, i) => centres[i % 300]!.map((x) => x + rand() * 0.9));
    const idx = new NamespacedVectorIndex({ dim });
    vectors.forEach((v, i) => idx.add('n', `v${i}`, v));
    idx.add('other', 'o', vectors[5]!);
    expect(idx.size('n')).toBe(vectors.length);
    const cosine = (a: Float32Array, b: Float32Array): number => {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < dim; i++) [dot, na, nb] = [dot + a[i]! * b[i]!, na + a[i]! ** 2, nb + b[i]! ** 2];
      return dot / Math.sqrt(na * nb);
    };
    let found = 0;
    const queries = 400;
    for (let q = 0; q < queries; q++) {
      const target = (q * 97) % vectors.length;
      const query = vectors[target]!.map((x) => x + rand() * 0.15); // cosine ≈ 0.99 with its target
      const [best] = idx.search('n', query, 3);
      if (best?.id === `v${target}`) {
        found++;
        expect(best.similarity).toBeCloseTo(cosine(query, vectors[target]!), 1); // int8, not an estimate
      }
    }
    expect(found / queries).toBeGreaterThanOrEqual(0.99);
    // A removed entry is gone, a replaced one is found at its new place, sizes stay exact.
    expect(idx.remove('n', 'v10')).toBe(true);
    expect(idx.search('n', vectors[10]!, 5).some((h) => h.id === 'v10')).toBe(false);
    idx.add('n', 'v11', vectors[20]!);
    expect(
      idx
        .search('n', vectors[20]!, 2)
        .map((h) => h.id)
        .sort(),
    ).toEqual(['v11', 'v20']);
    expect(idx.size('n')).toBe(vectors.length - 1);
    expect(idx.search('other', vectors[5]!, 5).map((h) => h.id)).toEqual(['o']);
  });
});

describe('matcher', () => {
  const embedder = createBuiltinEmbedder();
  it('hits on a paraphrase, misses on unrelated text and on changed details', async () => {
    const m = new SemanticMatcher({ embedder });
    await m.store('t1', 'q1', 'How can I improve my English speaking skills?');
    await m.store('t1', 'q2', 'What is the capital of France?');
    const hit = await m.lookup('t1', 'How do I improve my English speaking skills?');
    expect(hit.hit).toMatchObject({ id: 'q1', verified: true });
    expect(hit.hit!.similarity).toBeGreaterThanOrEqual(m.threshold);
    expect((await m.lookup('t1', 'How do I bake sourdough bread at home?')).hit).toBeNull();
    expect((await m.lookup('t1', 'What is the capital of Germany?')).hit).toBeNull();
    expect((await m.lookup('t2', 'How can I improve my English speaking skills?')).hit).toBeNull();
  });
  it('embeds a short question in well under a millisecond', () => {
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) embedder.embedSync(`How do I learn to cook rice number ${i}?`);
    expect((performance.now() - t0) / 1000).toBeLessThan(0.5);
  });
  it('lookup never throws on arbitrary text', async () => {
    const m = new SemanticMatcher({ embedder });
    await m.store('ns', 'a', 'How do I lose weight fast?');
    await m.store('ns', 'b', '');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), async (text) => {
        const r = await m.lookup('ns', text);
        expect(r.hit === null || r.hit.id === 'a').toBe(true);
        await m.store('ns2', 'x', text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('embedders from outside', () => {
  it('API adapter checks count and width', async () => {
    const ok = createApiEmbedder({ id: 'fake', dim: 2, embed: (t) => Promise.resolve(t.map(() => [1, 0])) });
    expect((await ok.embed(['a', 'b'])).length).toBe(2);
    const bad = createApiEmbedder({ id: 'fake', dim: 3, embed: (t) => Promise.resolve(t.map(() => [1, 0])) });
    await expect(bad.embed(['a'])).rejects.toThrow(/width/);
  });
  it('local model embedder explains what it needs', async () => {
    await expect(createLocalModelEmbedder({ modelPath: '/models/x' })).rejects.toThrow(/@huggingface\/transformers/);
  });
});

describe('cache eval', () => {
  const rows = [
    { a: 'How can I improve my English speaking skills?', b: 'How do I improve my English speaking skills?', duplicate: true },
    { a: 'What is the capital of France?', b: 'What is the capital of Germany?', duplicate: false },
    { a: 'How do I bake bread at home?', b: 'How can I bake bread at home?', duplicate: false },
    { a: 'Why is the sky blue?', b: 'What is the best programming language for beginners?', duplicate: true },
  ];
  it('produces the report shape and counts hits by the protocol', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-sem-'));
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { readFileSync } = await import('node:fs');
    const r = await evaluatePairs(parsePairs(readFileSync(file, 'utf8')), { embedder: createBuiltinEmbedder() });
    for (const k of ['threshold', 'queries', 'hits', 'correct_hits', 'wrong_hits', 'precision', 'recall', 'curve']) expect(r).toHaveProperty(k);
    expect(r.queries).toBe(4);
    expect(r.correct_hits).toBe(1); // pair 1
    expect(r.wrong_hits).toBe(1); // pair 3 hits its own `a` but is labelled not duplicate
    expect(r.precision).toBeCloseTo(0.5);
    expect(r.recall).toBeCloseTo(0.5);
    expect(r.curve.length).toBeGreaterThan(3);
    expect(r.curve.some((p) => p.threshold === r.threshold)).toBe(true);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
  it('rejects malformed rows', () => {
    expect(() => parsePairs('{"a":"x","b":"y"}\n')).toThrow(/line 1/);
  });
});
