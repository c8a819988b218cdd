/**
 * @module When a passphrase may enable a site: the one rule the popup's setup form and the options page's enable form
 * share, so both refuse and allow exactly the same passphrases.
 *
 * Anyone who records a call can test guesses offline against any of its frames, at the speed of their hardware, and
 * the Argon2id salt is the same for every group that uses a site and room label: one dictionary run serves against
 * all of them (docs/keys.md, "What a guess costs"). So a passphrase enables a site at once only when
 *
 * - "Generate passphrase" put it in the field (132 random bits), or
 * - zxcvbn estimates it at {@link STRONG_SCORE}: at least 10^10 guesses, even for an attacker who tries the site's
 *   and room's names first.
 *
 * Anything else needs the user's explicit override, given for that exact text (changing the passphrase withdraws it).
 * The estimator (zxcvbn and ~1.7 MB of dictionaries) loads on first use, so a typed passphrase can be not estimated
 * yet, or the load can fail: the rule fails closed, and treats it as weak until an estimate says otherwise.
 * A passphrase typed or pasted is estimated even when it looks like a generated one: only the Generate button's own
 * output skips the estimate.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StrengthEstimate } from './strength';

/**
 * zxcvbn's highest score, 4: at least 10^10 guesses in its model ("very unguessable"). Below it, a recorded call is
 * within reach of rented GPUs in days or less (docs/keys.md has the arithmetic).
 */
export const STRONG_SCORE = 4;
/** How long typing must pause before a passphrase is estimated (the submit estimates at once if it can). */
export const ESTIMATE_DEBOUNCE_MS = 150;

/** What the rule knows about a passphrase. */
export type PassphraseVerdict =
  | { kind: 'empty' }
  /** The Generate button's own output, unchanged. */
  | { kind: 'generated' }
  /** Typed, and not estimated yet (the estimator is still loading, or typing has not paused). */
  | { kind: 'checking' }
  /** Typed, and the estimator could not be loaded. */
  | { kind: 'unknown' }
  | { kind: 'weak' | 'strong'; estimate: StrengthEstimate };

/** Why Enable refuses a passphrase (the form's other checks, such as an empty field, come first). */
export type Refusal = 'checking' | 'weak' | 'unknown';

/** Whether Enable refuses a passphrase of `verdict`, given whether the user ticked the override for it. */
export function refusalOf(verdict: PassphraseVerdict, overridden: boolean): Refusal | undefined {
  switch (verdict.kind) {
    case 'empty':
    case 'generated':
    case 'strong':
      return undefined;
    case 'checking':
    case 'weak':
    case 'unknown':
      return overridden ? undefined : verdict.kind;
  }
}

/** Whether the form offers the override ("Use this weak passphrase anyway"): only once an estimate says weak, or failed. */
export function offersOverride(verdict: PassphraseVerdict): boolean {
  return verdict.kind === 'weak' || verdict.kind === 'unknown';
}

/** The verdict of an estimate. */
export function judge(estimate: StrengthEstimate): PassphraseVerdict {
  return { kind: estimate.score >= STRONG_SCORE ? 'strong' : 'weak', estimate };
}

/** Words of the site's address and the room's name: an attacker tries those first. */
export function guessableInputs(site: string, room: string): string[] {
  const words = `${site} ${room}`.toLowerCase().split(/[^\p{L}\p{N}]+/u);
  return [...new Set(words.filter((word) => word.length >= 3 && !['http', 'https', 'www'].includes(word)))];
}

type StrengthModule = typeof import('./strength');

/** The estimator once loaded (estimates are then synchronous), and the load under way. */
let loaded: StrengthModule | undefined;
let loading: Promise<StrengthModule> | undefined;

/** Loads the estimator once (a failed load is tried again on the next call). */
export function loadStrength(): Promise<StrengthModule> {
  loading ??= import('./strength').then(
    (module) => {
      loaded = module;
      return module;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

export interface PassphraseCheck {
  /** The verdict on the passphrase in the field now (`checking` until it is estimated). */
  verdict: PassphraseVerdict;
  /**
   * What to show while typing: the verdict, or while a new estimate is pending the last one (so the strength line
   * does not flicker at each key). Never decides anything.
   */
  shown: PassphraseVerdict;
  /** Whether the user ticked the override for exactly this passphrase. */
  overridden: boolean;
  setOverridden(on: boolean): void;
  /** Why Enable refuses now, if it does (from {@link verdict}). */
  refusal: Refusal | undefined;
  /**
   * For the submit: estimates the field's passphrase now (synchronously, if the estimator is loaded) with the current
   * site and room, and says why Enable must refuse it, if it must.
   */
  refusalNow(): Refusal | undefined;
}

interface Estimated {
  passphrase: string;
  verdict: PassphraseVerdict;
}

function sameVerdict(a: PassphraseVerdict, b: PassphraseVerdict): boolean {
  if (a.kind !== b.kind) return false;
  if (!('estimate' in a) || !('estimate' in b)) return true;
  return (
    a.estimate.score === b.estimate.score &&
    a.estimate.guessTime === b.estimate.guessTime &&
    a.estimate.warning === b.estimate.warning
  );
}

/**
 * The rule applied to a form's passphrase field: estimates a typed `passphrase` once typing pauses, keeps the
 * override the user gave for it, and answers whether Enable may go ahead.
 *
 * @param generated what "Generate passphrase" last put in the field (the field holds a generated passphrase while it
 *   equals this).
 * @param site the site as typed (or the tab's origin) and `room` the room as typed: their words are guessed first.
 */
export function usePassphraseCheck(
  passphrase: string,
  generated: string | undefined,
  site: string,
  room: string,
): PassphraseCheck {
  const [estimated, setEstimated] = useState<Estimated | undefined>(undefined);
  const [overrideFor, setOverrideFor] = useState<string | undefined>(undefined);
  /** The site and room now, for estimates (which need not run again when only they change while typing). */
  const inputs = useRef({ site, room });
  inputs.current = { site, room };

  const isGenerated = passphrase !== '' && passphrase === generated;
  const typed = passphrase !== '' && !isGenerated;

  const record = (next: Estimated): void =>
    setEstimated((previous) =>
      previous !== undefined && previous.passphrase === next.passphrase && sameVerdict(previous.verdict, next.verdict)
        ? previous
        : next,
    );
  const estimateWith = (module: StrengthModule, text: string): PassphraseVerdict =>
    judge(module.estimateStrength(text, guessableInputs(inputs.current.site, inputs.current.room)));

  useEffect(() => {
    if (!typed) {
      setEstimated(undefined);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      loadStrength().then(
        (module) => {
          if (current) record({ passphrase, verdict: estimateWith(module, passphrase) });
        },
        () => {
          if (current) record({ passphrase, verdict: { kind: 'unknown' } });
        },
      );
    }, ESTIMATE_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [passphrase, typed]);

  // The override holds for one text: once the field holds anything else, it is gone (typing the same text again
  // does not bring it back).
  useEffect(() => {
    if (overrideFor !== undefined && overrideFor !== passphrase) setOverrideFor(undefined);
  }, [passphrase, overrideFor]);

  const verdict: PassphraseVerdict =
    passphrase === ''
      ? { kind: 'empty' }
      : isGenerated
        ? { kind: 'generated' }
        : estimated?.passphrase === passphrase
          ? estimated.verdict
          : { kind: 'checking' };
  const shown = verdict.kind === 'checking' && estimated !== undefined ? estimated.verdict : verdict;
  const overridden = typed && overrideFor === passphrase;

  return {
    verdict,
    shown,
    overridden,
    setOverridden: (on) => setOverrideFor(on ? passphrase : undefined),
    refusal: refusalOf(verdict, overridden),
    refusalNow: () => {
      let now = verdict;
      if (typed && loaded !== undefined) {
        now = estimateWith(loaded, passphrase);
        record({ passphrase, verdict: now });
      } else if (now.kind === 'checking') {
        void loadStrength().catch(() => undefined);
      }
      return refusalOf(now, overridden);
    },
  };
}
