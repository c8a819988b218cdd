/**
 * @module Hooks on Web Crypto in the page realm: every crypto.subtle call, its arguments and what it resolves to, every
 * getRandomValues, and any read of a CryptoKey's fields here (which means a key reached the page realm).
 */
import { alarm, error } from './log.ts';
import { apply, getNames, nativeThen, page } from './natives.ts';
import { observe } from './observe.ts';
import { replaceGetter, replaceMethod } from './replace.ts';

export function hookCrypto(): void {
  // crypto.subtle: every call, its arguments, and what it resolves to.
  const subtleProto = page.SubtleCrypto?.prototype;
  for (const name of subtleProto ? getNames(subtleProto) : []) {
    if (name === 'constructor') continue;
    replaceMethod(
      subtleProto,
      name,
      (original) =>
        function (this: SubtleCrypto, ...args: unknown[]) {
          observe(`crypto.subtle.${name}`, args);
          const result = apply(original, this, args);
          try {
            apply(nativeThen, result, [(value: unknown) => observe(`crypto.subtle.${name} result`, value), () => {}]);
          } catch (e) {
            error(`crypto.subtle.${name}`, e);
          }
          return result;
        },
    );
  }
  replaceMethod(
    Crypto.prototype,
    'getRandomValues',
    (original) =>
      function (this: Crypto, array: unknown) {
        const result = apply(original, this, [array]);
        observe('crypto.getRandomValues', array);
        return result;
      },
  );
  // Reading a CryptoKey's fields in this realm means one got here.
  for (const name of ['type', 'extractable', 'algorithm', 'usages']) {
    replaceGetter(
      page.CryptoKey?.prototype,
      name,
      (original) =>
        function (this: CryptoKey) {
          alarm('CryptoKey', `CryptoKey.${name}`, 'a CryptoKey was read in the page realm');
          return apply(original, this, []);
        },
    );
  }
}
