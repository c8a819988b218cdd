/**
 * Strength estimates of passphrases people type themselves (zxcvbn). Its dictionaries weigh about 1.5 MB, so the
 * options page loads this module with `import()` only once someone types a passphrase (see `loadStrength`).
 *
 * Never log a passphrase or the result of checking one (it contains the passphrase).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...commonDictionary, ...englishDictionary },
  graphs: adjacencyGraphs,
  translations,
});

export interface StrengthEstimate {
  /** zxcvbn's score: 0 (guessed at once) to 4 (very unlikely to be guessed). */
  score: 0 | 1 | 2 | 3 | 4;
  /**
   * How long guessing it would take someone testing guesses offline against a recorded call, in words ("less than a
   * second", "3 months", "centuries"): zxcvbn's slow-hash attacker (10,000 guesses a second), which is about what a
   * well-equipped attacker gets against Argon2id.
   */
  guessTime: string;
  /** What makes it weak, when zxcvbn can tell ("This is a commonly used password."). */
  warning?: string;
}

/**
 * Estimates how hard `passphrase` is to guess. `userInputs` are words an attacker would try first (the site's name,
 * the room's name).
 */
export function estimateStrength(passphrase: string, userInputs: readonly string[] = []): StrengthEstimate {
  const result = zxcvbn.check(passphrase, [...userInputs]);
  const estimate: StrengthEstimate = {
    score: result.score,
    guessTime: result.crackTimes.offlineSlowHashingXPerSecond.display,
  };
  if (result.feedback.warning) estimate.warning = result.feedback.warning;
  return estimate;
}
