/**
 * @module Hooks on everything a message or an event passes through in the page realm: the getters a page reads a
 * message event with, postMessage on workers, ports, windows and channels (arguments and transfer lists), and every
 * listener and `on*` handler, which see each event only after the hostile page looked at it.
 */
import { count } from './log.ts';
import { type AnyFunction, apply, eventType, NativeWeakMap, page, tagOf, weakMapGet, weakMapSet } from './natives.ts';
import { observe, observeEvent } from './observe.ts';
import { replaceGetter, replaceMethod, replaceSetter } from './replace.ts';

/** `window`, or the tag of any other event target: how hooks name where they saw something. */
export const labelOf = (target: unknown): string => {
  const tag = tagOf(target);
  return tag === 'Window' ? 'window' : tag;
};

/** The listener wrappers handed to the native addEventListener, per original listener and type. */
const wrappers = new NativeWeakMap<object, Record<string, AnyFunction>>();
function wrapperFor(listener: EventListenerOrEventListenerObject, type: string, label: string): AnyFunction {
  let byType = apply(weakMapGet, wrappers, [listener]) as Record<string, AnyFunction> | undefined;
  if (byType === undefined) {
    byType = {};
    apply(weakMapSet, wrappers, [listener, byType]);
  }
  const key = `${label}|${type}`;
  if (byType[key] === undefined) {
    byType[key] = function (this: unknown, event: Event) {
      observeEvent(`listener ${label}:${type}`, event);
      return typeof listener === 'function' ? apply(listener, this, [event]) : listener.handleEvent(event);
    };
  }
  return byType[key];
}

export function hookMessages(): void {
  // MessageEvent: whatever a page can read from a message event, it reads through these getters.
  for (const name of ['data', 'ports', 'source', 'origin']) {
    replaceGetter(
      MessageEvent.prototype,
      name,
      (original) =>
        function (this: MessageEvent) {
          const value = apply(original, this, []);
          observe(`MessageEvent.${name}`, value, apply(eventType, this, []));
          return value;
        },
    );
  }
  replaceGetter(
    CustomEvent.prototype,
    'detail',
    (original) =>
      function (this: CustomEvent) {
        const value = apply(original, this, []);
        observe('CustomEvent.detail', value, apply(eventType, this, []));
        return value;
      },
  );

  // postMessage on workers, ports, windows, broadcast channels: arguments and transfer lists.
  const targets: [string, object | undefined][] = [
    ['Worker', page.Worker?.prototype],
    ['MessagePort', MessagePort.prototype],
    ['BroadcastChannel', page.BroadcastChannel?.prototype],
    ['ServiceWorker', page.ServiceWorker?.prototype],
    ['Window.prototype', Window.prototype],
    ['window', window],
  ];
  for (const [label, target] of targets) {
    replaceMethod(
      target,
      'postMessage',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          observe(`${label}.postMessage`, args);
          return apply(original, this, args);
        },
    );
  }

  // Listeners: every event any listener (or on* handler) gets is looked at before the listener sees it.
  replaceMethod(
    EventTarget.prototype,
    'addEventListener',
    (original) =>
      function (this: EventTarget, type: unknown, listener: unknown, options: unknown) {
        count('addEventListener');
        if (
          listener === null ||
          listener === undefined ||
          (typeof listener !== 'function' && typeof listener !== 'object')
        ) {
          return apply(original, this, [type, listener, options]);
        }
        const wrapped = wrapperFor(listener as EventListenerOrEventListenerObject, String(type), labelOf(this));
        return apply(original, this, [type, wrapped, options]);
      },
  );
  replaceMethod(
    EventTarget.prototype,
    'removeEventListener',
    (original) =>
      function (this: EventTarget, type: unknown, listener: unknown, options: unknown) {
        const byType = listener
          ? (apply(weakMapGet, wrappers, [listener]) as Record<string, AnyFunction> | undefined)
          : undefined;
        const wrapped = byType?.[`${labelOf(this)}|${String(type)}`];
        if (wrapped) apply(original, this, [type, wrapped, options]);
        return apply(original, this, [type, listener, options]);
      },
  );
  replaceMethod(
    EventTarget.prototype,
    'dispatchEvent',
    (original) =>
      function (this: EventTarget, event: unknown) {
        observeEvent(`dispatchEvent ${labelOf(this)}`, event);
        return apply(original, this, [event]);
      },
  );
  const handlerTargets: [string, object | undefined][] = [
    ['MessagePort', MessagePort.prototype],
    ['Worker', page.Worker?.prototype],
    ['window', window],
    ['Window.prototype', Window.prototype],
    ['EventSource', page.EventSource?.prototype],
    ['BroadcastChannel', page.BroadcastChannel?.prototype],
  ];
  for (const [label, target] of handlerTargets) {
    for (const name of ['onmessage', 'onmessageerror', 'onerror']) {
      replaceSetter(
        target,
        name,
        (original) =>
          function (this: unknown, handler: unknown) {
            if (typeof handler !== 'function') return apply(original, this, [handler]);
            return apply(original, this, [
              function (this: unknown, event: Event) {
                observeEvent(`${label}.${name}`, event);
                return apply(handler, this, [event]);
              },
            ]);
          },
      );
    }
  }
}
