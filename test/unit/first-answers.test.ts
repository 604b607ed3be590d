import { describe, expect, it } from 'vitest';
import { FirstAnswers } from '../../shared/queue/first-answers.js';

const entry = (answers: number | undefined) => ({ value: 'r', id: 0, deliveries: 0, answers });

describe('FirstAnswers', () => {
  it('keeps the first result of each task and counts the rest as duplicates', () => {
    const answers = new FirstAnswers();
    expect([entry(1), entry(2), entry(1), entry(1)].map((e) => answers.accept(e))).toEqual([true, true, false, false]);
    expect([answers.accepted, answers.duplicates]).toEqual([2, 2]);
  });

  it('always keeps results that answer no task', () => {
    const answers = new FirstAnswers();
    expect(answers.accept(entry(undefined))).toBe(true);
    expect(answers.accept(entry(undefined))).toBe(true);
    expect([answers.accepted, answers.duplicates]).toEqual([2, 0]);
  });
});
