/**
 * Strength estimates of passphrases people type themselves (zxcvbn). Its dictionaries weigh about 1.7 MB, so the
 * popup and the options page load this module with `import()` only once someone types a passphrase (`loadStrength`
 * in passphrase-rule.ts, which also holds the rule that decides what a score allows).
 *
 * Never log a passphrase or the result of checking one (it contains the passphrase).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations as englishTranslations } from '@zxcvbn-ts/language-en';
import { t } from './i18n';

/** Where zxcvbn puts the number in a duration ("{base} months"). */
const BASE = '{base}';

/**
 * zxcvbn's words in the page's language: the warnings and durations the page shows. (Its suggestions are never
 * shown: they stay English.)
 */
const translations: typeof englishTranslations = {
  warnings: {
    straightRow: t('options_zxcvbn_straight_row'),
    keyPattern: t('options_zxcvbn_key_pattern'),
    simpleRepeat: t('options_zxcvbn_simple_repeat'),
    extendedRepeat: t('options_zxcvbn_extended_repeat'),
    sequences: t('options_zxcvbn_sequences'),
    recentYears: t('options_zxcvbn_recent_years'),
    dates: t('options_zxcvbn_dates'),
    topTen: t('options_zxcvbn_top_ten'),
    topHundred: t('options_zxcvbn_top_hundred'),
    common: t('options_zxcvbn_common'),
    similarToCommon: t('options_zxcvbn_similar_to_common'),
    wordByItself: t('options_zxcvbn_word_by_itself'),
    namesByThemselves: t('options_zxcvbn_names_by_themselves'),
    commonNames: t('options_zxcvbn_common_names'),
    userInputs: t('options_zxcvbn_user_inputs'),
    pwned: t('options_zxcvbn_pwned'),
  },
  suggestions: englishTranslations.suggestions,
  timeEstimation: {
    ltSecond: t('options_time_less_than_second'),
    second: t('options_time_second', BASE),
    seconds: t('options_time_seconds', BASE),
    minute: t('options_time_minute', BASE),
    minutes: t('options_time_minutes', BASE),
    hour: t('options_time_hour', BASE),
    hours: t('options_time_hours', BASE),
    day: t('options_time_day', BASE),
    days: t('options_time_days', BASE),
    month: t('options_time_month', BASE),
    months: t('options_time_months', BASE),
    year: t('options_time_year', BASE),
    years: t('options_time_years', BASE),
    centuries: t('options_time_centuries'),
  },
};

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...commonDictionary, ...englishDictionary },
  graphs: adjacencyGraphs,
  translations,
});

export interface StrengthEstimate {
  /** zxcvbn's score: 0 (guessed at once) to 4 (very unlikely to be guessed). */
  score: 0 | 1 | 2 | 3 | 4;
  /**
   * How long guessing it would take someone testing guesses offline against a recorded call, in words of the page's
   * language ("less than a second", "3 months", "centuries"): zxcvbn's slow-hash attacker, 10,000 guesses a second,
   * which against our Argon2id is about eight high-end GPUs (an estimate: docs/keys.md, "What a guess costs").
   */
  guessTime: string;
  /** What makes it weak, when zxcvbn can tell ("This is a commonly used password."), in the page's language. */
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
