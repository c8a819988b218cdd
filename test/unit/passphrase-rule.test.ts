/**
 * The passphrase rule both forms share (src/ui/passphrase-rule.ts), as a table: which verdicts Enable refuses, what
 * the override changes, and where the bar is (zxcvbn score 4). The forms' behaviour is in test/dom.
 */
import { describe, expect, it } from 'vitest';
import {
  guessableInputs,
  judge,
  offersOverride,
  type PassphraseVerdict,
  refusalOf,
  STRONG_SCORE,
} from '../../src/ui/passphrase-rule';

const estimate = (score: 0 | 1 | 2 | 3 | 4) => ({ score, guessTime: 'some time' });

describe('the passphrase rule', () => {
  it('the bar is zxcvbn score 4: 3 is weak, 4 is strong', () => {
    expect(STRONG_SCORE).toBe(4);
    expect(([0, 1, 2, 3] as const).map((score) => judge(estimate(score)).kind)).toEqual([
      'weak',
      'weak',
      'weak',
      'weak',
    ]);
    expect(judge(estimate(4)).kind).toBe('strong');
  });

  it('refuses weak, unknown and not-yet-estimated passphrases unless overridden; never generated or strong ones', () => {
    const verdicts: PassphraseVerdict[] = [
      { kind: 'empty' },
      { kind: 'generated' },
      { kind: 'checking' },
      { kind: 'unknown' },
      judge(estimate(1)),
      judge(estimate(4)),
    ];
    expect(verdicts.map((verdict) => [verdict.kind, refusalOf(verdict, false), refusalOf(verdict, true)])).toEqual([
      ['empty', undefined, undefined],
      ['generated', undefined, undefined],
      ['checking', 'checking', undefined],
      ['unknown', 'unknown', undefined],
      ['weak', 'weak', undefined],
      ['strong', undefined, undefined],
    ]);
  });

  it('offers the override only once an estimate says weak, or the estimator failed', () => {
    expect(offersOverride(judge(estimate(2)))).toBe(true);
    expect(offersOverride({ kind: 'unknown' })).toBe(true);
    expect(offersOverride({ kind: 'checking' })).toBe(false);
    expect(offersOverride({ kind: 'generated' })).toBe(false);
    expect(offersOverride(judge(estimate(4)))).toBe(false);
  });

  it("guesses the site's and room's words first", () => {
    expect(guessableInputs('https://www.meet.example.org', 'Team Standup')).toEqual([
      'meet',
      'example',
      'org',
      'team',
      'standup',
    ]);
  });
});
