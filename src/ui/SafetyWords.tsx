/**
 * @module A room's safety words, as the popup and the options page show them: "apple · bacon · cable · …". The dots
 * are hidden from screen readers, which read the words as a list of words.
 */

export interface SafetyWordsProps {
  words: readonly string[];
  id?: string;
}

export function SafetyWords({ words, id }: SafetyWordsProps) {
  return (
    <p class="safety-words" id={id}>
      {words.map((word, index) => (
        <span key={`${index}:${word}`}>
          {index > 0 && <span aria-hidden="true"> · </span>}
          {word}
        </span>
      ))}
    </p>
  );
}
