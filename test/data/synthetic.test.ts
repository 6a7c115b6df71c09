// The embedded story generator: deterministic by seed, and varied (names, words, plots, lengths).
import { describe, expect, it } from 'vitest';
import { generateSyntheticStories } from '../../src/data/synthetic.js';

const words = (s: string) => s.toLowerCase().match(/[a-z']+/g) ?? [];

describe('synthetic stories', () => {
  it('are the same for the same seed and different for another seed', () => {
    const a = [...generateSyntheticStories(7, 50)], b = [...generateSyntheticStories(7, 50)];
    expect(a).toEqual(b);
    const c = [...generateSyntheticStories(8, 50)];
    expect(c.filter((s, i) => s !== a[i]).length).toBeGreaterThan(45);
    // A longer run starts with the shorter run's stories.
    expect([...generateSyntheticStories(7, 60)].slice(0, 50)).toEqual(a);
  });

  it('are varied: distinct stories, hundreds of words, many names, 60-200 words each', () => {
    const stories = [...generateSyntheticStories(1337, 1000)];
    expect(new Set(stories).size).toBe(1000);
    const vocabulary = new Set(stories.flatMap(words));
    expect(vocabulary.size).toBeGreaterThan(400);
    const names = new Set(stories.map((s) => /named (\w+)/.exec(s)?.[1]).filter(Boolean));
    expect(names.size).toBeGreaterThan(40);
    const openings = new Set(stories.map((s) => words(s).slice(0, 10).join(' ')));
    expect(openings.size).toBeGreaterThan(800);
    for (const s of stories) {
      const n = words(s).length;
      expect(n).toBeGreaterThanOrEqual(60);
      expect(n).toBeLessThanOrEqual(200);
      expect(s).not.toMatch(/undefined|\{|\}|\$/);
    }
    const withDialogue = stories.filter((s) => /"[^"]+"/.test(s)).length;
    expect(withDialogue).toBeGreaterThan(700);
  });
});
