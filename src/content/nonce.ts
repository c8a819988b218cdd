/**
 * @module The nonce that ties the transform worker to the bridge (src/shared/handshake.ts): the bridge draws one for
 * the document_start hand-off and a fresh one for each new worker; the worker must repeat it before it is served.
 */
import { bytesToHex, constantTimeEqual } from '../shared/bytes';
import { NONCE_BYTES } from './constants';

/** A fresh nonce: {@link NONCE_BYTES} random bytes as lower-case hex digits. */
export function newNonce(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

const encoder = new TextEncoder();

/**
 * Compares the worker's nonce with ours in time that does not depend on where they differ (STYLE.md §9): a page
 * that could time the bridge must not learn the nonce digit by digit. Compared as UTF-8 bytes with the one
 * constant-time compare (`constantTimeEqual`, src/shared/bytes.ts): ours is ASCII hex, so a received string has the
 * same bytes only if it has the same characters (no character outside ASCII encodes to ASCII bytes).
 */
export function sameNonce(received: string, expected: string): boolean {
  return constantTimeEqual(encoder.encode(received), encoder.encode(expected));
}
