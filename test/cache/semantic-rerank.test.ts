// The re-ranker on its own: the full USE-lite model in its worker thread scores a shortlist, embeds
// each cached question once, and gives up past its budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reranker } from '../../src/cache/semantic/reranker.js';
import type { ShortlistEntry } from '../../src/cache/semantic/matcher.js';

const shortlist: ShortlistEntry[] = [
  { id: 'learn', similarity: 0.9, text: 'What is the fastest way to learn Python?' },
  { id: 'capital', similarity: 0.9, text: 'What is the capital of France?' },
];

describe('USE-lite re-ranker', () => {
  let reranker: Reranker;
  beforeAll(async () => {
    reranker = await Reranker.start();
  });
  afterAll(() => reranker.close());

  it('ranks the paraphrase first, embeds each candidate once, and forgets it with its entry', async () => {
    const before = reranker.embeddedTexts;
    const first = await reranker.rescore('ns', 'How do I learn Python quickly?', shortlist);
    expect(first!.map((r) => r.id)).toEqual(['learn', 'capital']);
    expect(first![0]!.similarity).toBeGreaterThan(0.9);
    expect(first![1]!.similarity).toBeLessThan(0.3);
    expect(reranker.embeddedTexts - before).toBe(3);
    const again = await reranker.rescore('ns', 'Which city is the capital of France?', shortlist);
    expect(again![0]!.id).toBe('capital');
    expect(reranker.embeddedTexts - before).toBe(4); // the query only
    reranker.forget('ns', 'capital');
    await reranker.rescore('ns', 'Which city is the capital of France?', shortlist);
    expect(reranker.embeddedTexts - before).toBe(6);
    // Another namespace's entry with the same id is another entry.
    await reranker.rescore('other', 'Which city is the capital of France?', shortlist.slice(0, 1));
    expect(reranker.embeddedTexts - before).toBe(8);
  });

  it('past its budget the answer is undefined (a miss), and the late vectors are still kept', async () => {
    const late: ShortlistEntry[] = [{ id: 'swim', similarity: 0.95, text: 'How can an adult learn to swim?' }];
    expect(await reranker.rescore('ns', 'How do adults learn to swim?', late, 1)).toBeUndefined();
    await expect.poll(() => reranker.size).toBe(4);
    const before = reranker.embeddedTexts;
    expect((await reranker.rescore('ns', 'How do adults learn to swim?', late))![0]!.similarity).toBeGreaterThan(0.8);
    expect(reranker.embeddedTexts - before).toBe(1);
  });
});
