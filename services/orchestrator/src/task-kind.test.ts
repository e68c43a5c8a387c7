import { describe, expect, it } from 'vitest';
import { taskKind } from './jobs.js';

describe('taskKind (the bounded metric label of a task)', () => {
  it('uses the explicit kind', () => {
    expect(taskKind({ name: 'search-7', kind: 'web-search' })).toBe('web-search');
  });

  it('drops a trailing counter from the unique task name', () => {
    expect(
      ['search-1', 'search-12', 'search_3', 'step#4', 'chunk.10', 'shard:2'].map((name) => taskKind({ name })),
    ).toEqual(['search', 'search', 'search', 'step', 'chunk', 'shard']);
  });

  it('keeps names that are not counters, and never returns an empty label', () => {
    expect(taskKind({ name: 'summarize-diff' })).toBe('summarize-diff');
    expect(taskKind({ name: 'gpt4o' })).toBe('gpt4o');
    expect(taskKind({ name: '42' })).toBe('42');
  });
});
