import { describe, expect, it } from 'vitest';
import {
  checkTranscript,
  isCorrectResult,
  MAX_TASK,
  parseResult,
  ResultChecker,
  randomTask,
  squareText,
  transcript,
} from '../../shared/example.js';

describe('the worked example', () => {
  it("words results as task_worker.py's '%d * %d = %d', exact beyond 2^53", () => {
    expect(squareText(12)).toBe('12 * 12 = 144');
    expect(squareText(2 ** 40)).toBe(`${2 ** 40} * ${2 ** 40} = ${2n ** 80n}`);
    expect(squareText(10n ** 30n)).toBe(`${10n ** 30n} * ${10n ** 30n} = ${10n ** 60n}`);
  });

  it('draws tasks in 0..MAX_TASK', () => {
    for (let i = 0; i < 1000; i++) {
      const n = randomTask();
      expect(Number.isInteger(n) && n >= 0 && n <= MAX_TASK).toBe(true);
    }
  });

  it('parses and checks results', () => {
    expect(parseResult('7 * 7 = 49')).toEqual({ n: 7, square: '49' });
    expect(parseResult('7 * 8 = 56')).toBeUndefined();
    expect(parseResult('seven')).toBeUndefined();
    expect(isCorrectResult('7 * 7 = 49', 7)).toBe(true);
    expect(isCorrectResult('7 * 7 = 50', 7)).toBe(false);
  });

  it('ticks each task off once and counts the rest as bad', () => {
    const checker = new ResultChecker();
    for (const n of [3, 3, 5]) checker.expect(n);
    expect(checker.check('3 * 3 = 9')).toBe(true);
    expect(checker.check('3 * 3 = 9')).toBe(true);
    expect(checker.check('3 * 3 = 9')).toBe(false); // a third answer to a task put twice
    expect(checker.check('5 * 5 = 26')).toBe(false);
    expect(checker.check(42)).toBe(false);
    expect({ checked: checker.checked, bad: checker.bad, missing: checker.missing }).toEqual({
      checked: 2,
      bad: 3,
      missing: 1,
    });
  });

  it('checks a master transcript, and names both lists when it does not match', () => {
    const good = [
      transcript.putTask(2),
      transcript.putTask(4),
      'Try get results...',
      'Result: 4 * 4 = 16',
      'Result: 2 * 2 = 4',
    ];
    expect(checkTranscript(good)).toEqual({ tasks: [2, 4], results: ['4 * 4 = 16', '2 * 2 = 4'] });
    expect(() => checkTranscript([transcript.putTask(2), transcript.result('2 * 2 = 5')])).toThrow(
      /tasks 2\nresults 2 \* 2 = 5/,
    );
    expect(() => checkTranscript([transcript.putTask(2)])).toThrow(/do not match/);
    expect(transcript.runTask(9)).toBe('run task 9 * 9...');
  });
});
