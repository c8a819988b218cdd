/**
 * @module Five words to compare aloud, as the popup and the options page show them: "apple · bacon · cable · …". The
 * dots are hidden from screen readers, which read the words as a list of words. A room's words (`safety-words`) and a
 * call's words (`call-words`) look alike and have their own class each, so nothing mistakes one for the other.
 */

export interface SafetyWordsProps {
  words: readonly string[];
  id?: string;
  /** Whose words: a room's (the default) or a call's. */
  of?: 'room' | 'call';
}

export function SafetyWords({ words, id, of = 'room' }: SafetyWordsProps) {
  return (
    <p class={of === 'room' ? 'safety-words' : 'call-words'} id={id}>
      {words.map((word, index) => (
        <span key={`${index}:${word}`}>
          {index > 0 && <span aria-hidden="true"> · </span>}
          {word}
        </span>
      ))}
    </p>
  );
}
