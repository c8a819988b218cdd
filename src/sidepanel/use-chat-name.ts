/**
 * @module The name the user gives itself in chats: read from `storage.local` (`chatName`) when the panel opens, saved
 * there when the user leaves the field or sends. It is a setting, not chat content: no message is ever stored.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { MAX_CHAT_NAME_BYTES, utf8Length } from './protocol';

/** The `storage.local` key of the name. */
export const CHAT_NAME_KEY = 'chatName';

export interface ChatName {
  /** The name as typed. */
  name: string;
  setName(name: string): void;
  /** Its size in UTF-8 bytes, when it is over {@link MAX_CHAT_NAME_BYTES} (then it is neither saved nor sent). */
  tooLong: number | undefined;
  /** Saves the name (trimmed), unless it is too long. */
  save(): void;
}

/** A name as it is sent and saved: without white space around it. */
export const cleanName = (name: string): string => name.trim();

export function useChatName(): ChatName {
  const [name, setTyped] = useState('');
  /** The user typed before the saved name was read: the read does not overwrite it. */
  const typed = useRef(false);
  const saved = useRef<string | undefined>(undefined);

  useEffect(() => {
    let current = true;
    browser.storage.local.get(CHAT_NAME_KEY).then(
      (items) => {
        const value: unknown = items[CHAT_NAME_KEY];
        if (!current || typed.current || typeof value !== 'string' || utf8Length(value) > MAX_CHAT_NAME_BYTES) return;
        saved.current = value;
        setTyped(value);
      },
      () => undefined, // no saved name then: the field starts empty
    );
    return () => {
      current = false;
    };
  }, []);

  const bytes = utf8Length(cleanName(name));
  const tooLong = bytes > MAX_CHAT_NAME_BYTES ? bytes : undefined;
  return {
    name,
    setName(next) {
      typed.current = true;
      setTyped(next);
    },
    tooLong,
    save() {
      const value = cleanName(name);
      if (tooLong !== undefined || value === saved.current) return;
      saved.current = value;
      browser.storage.local.set({ [CHAT_NAME_KEY]: value }).catch(() => {
        saved.current = undefined; // not saved: the next save tries again
      });
    },
  };
}
