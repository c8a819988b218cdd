/**
 * @module Where focus goes when the element that had it goes away (the Enable button once the site is on, the switch's
 * confirmation once it is answered): the popup names the element to focus, and it is focused as soon as a render shows
 * it, so a keyboard or screen reader user is never left on `<body>`.
 */
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

/** Names the popup's focus targets. */
export type FocusTarget = 'done' | 'confirm' | 'setup' | 'switch';

/**
 * Returns `focusSoon(target)`: focuses `targets[target]` after the next render that shows it. (`setup` is the enable
 * form's heading, which the form owns: it is found by its id.)
 */
export function usePendingFocus(targets: Record<Exclude<FocusTarget, 'setup'>, RefObject<HTMLElement | null>>) {
  const pending = useRef<FocusTarget | undefined>(undefined);
  useLayoutEffect(() => {
    if (pending.current === undefined) return;
    const target =
      pending.current === 'setup' ? document.getElementById('enable-heading') : targets[pending.current].current;
    if (target !== null) {
      target.focus();
      pending.current = undefined;
    }
  });
  return (target: FocusTarget): void => {
    pending.current = target;
  };
}
