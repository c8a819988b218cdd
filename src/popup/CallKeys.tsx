/**
 * @module One call's keys, in the popup's call panel (docs/keys.md, "Per-call words"): the call words that
 * everyone in the call compares aloud, this participant's own two-word fingerprint, and each other participant's, with
 * whether their keys arrived. The room words (RoomSection.tsx) show that everyone entered the same passphrase and room;
 * the call words show that nobody stood in the middle of this call: they are made from every participant's key of this
 * call, as each of them saw those keys.
 */
import type { CallStatus } from '../shared/messages';
import { t } from '../ui/i18n';
import { SafetyWords } from '../ui/SafetyWords';

export interface CallKeysProps {
  call: CallStatus;
  /** The call's place among the tab's calls (one per frame that has one): it names the elements. */
  index: number;
  /** The tab has more than one call: the headings say which. */
  numbered: boolean;
}

export function CallKeys({ call, index, numbered }: CallKeysProps) {
  const id = `call-${index}`;
  return (
    <div class="call-keys" data-call={index}>
      <h3 id={`${id}-heading`}>{numbered ? t('popup_call_words_numbered', index + 1) : t('popup_call_words')}</h3>
      {call.members.length === 0 ? (
        <p class="placeholder">{t('popup_call_no_one_yet')}</p>
      ) : (
        call.words !== undefined && (
          <>
            <SafetyWords words={call.words} id={`${id}-words`} of="call" />
            <p class="hint">{t('popup_call_words_hint')}</p>
          </>
        )
      )}
      <ul class="keys" aria-label={t('popup_call_keys_label')}>
        <li class="key-row" data-self="true">
          {t('popup_call_you', call.you)}
        </li>
        {call.members.map((member, i) => (
          <li key={`${i}:${member.fingerprint}`} class="key-row" data-keyed={String(member.keyed)}>
            <span class="fingerprint">{member.fingerprint}</span>
            <span class="key-status">{member.keyed ? t('popup_call_keyed') : t('popup_call_waiting_keys')}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
