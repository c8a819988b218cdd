/**
 * The data-channel formats' frozen vectors (test/vectors/framelock-data.json): made once, so a change to any byte on
 * the wire (the SDP line, the HELLO and its seal, the direction keys, the envelope, the sealed text field) fails here
 * even when both ends change it together. Every value is re-derived twice: with WebCrypto's primitives alone, and with
 * our code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { base64urlToBytes, bytesToBase64url } from '../../src/content/data/base64url';
import { DataReceiver, sealControlWith, sealEnvelopeWith } from '../../src/content/data/envelope';
import { decodeHello, encodeHello, openHelloLine, type Role } from '../../src/content/data/hello';
import { dataKeysInfo, deriveDirectionKeys } from '../../src/content/data/keys';
import { lineOf, withLine } from '../../src/content/data/sdp-line';
import { deriveTextKey, openText, sealTextWith, TextKeys } from '../../src/content/data/text-key';
import { openIncoming, protectOutgoing } from '../../src/content/data/textroom';
import { ControlKeys, deriveControlKey, sealWith } from '../../src/content/exchange/seal';
import { asBufferSource, bytesToHex, concatBytes, hexToBytes } from '../../src/shared/bytes';
import { hkdfKey, importX25519Private } from './exchange-fixtures';

interface StoredHello {
  role: Role;
  private: string;
  public: string;
  plaintext: string;
  nonce: string;
  sealed: string;
  line: string;
}
interface StoredEnvelope {
  direction: string;
  streamId: number;
  counter: number;
  string?: string;
  bytes?: string;
  header: string;
  nonce: string;
  aad: string;
  sealed: string;
}
interface Stored {
  protocol: number;
  epoch: { epochBaseKey: string; epoch: number; controlKey: string; textKey: string };
  hellos: StoredHello[];
  sdp: { offer: string; offerWithLine: string };
  keys: Record<'secret' | 'info' | 'okm' | 'offererToAnswerer' | 'answererToOfferer', string>;
  envelopes: StoredEnvelope[];
  confirmation: { direction: string; streamId: number; counter: number; body: string; header: string; sealed: string };
  textroom: Record<
    | 'text'
    | 'nonce'
    | 'plaintext'
    | 'aad'
    | 'sealed'
    | 'field'
    | 'request'
    | 'requestSealed'
    | 'eventSealed'
    | 'eventOpened',
    string
  >;
}

const v = JSON.parse(readFileSync(new URL('../vectors/framelock-data.json', import.meta.url), 'utf8')) as Stored;
const hex = (s: string) => asBufferSource(hexToBytes(s));
const utf8 = (s: string) => new TextEncoder().encode(s);
const subtle = crypto.subtle;
const hkdfBits = async (ikm: CryptoKey, info: Uint8Array, bits: number) =>
  bytesToHex(
    new Uint8Array(
      await subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(info) },
        ikm,
        bits,
      ),
    ),
  );
const [offererHello, answererHello] = v.hellos as [StoredHello, StoredHello];
const party = async (h: StoredHello) => ({
  privateKey: await importX25519Private(hex(h.private)),
  publicKey: hexToBytes(h.public),
});
const epochBase = () => hkdfKey(hex(v.epoch.epochBaseKey));
const fixedNonce = (nonce: string) => () => hexToBytes(nonce);

describe('frozen data-channel vectors', () => {
  it('are protocol v4’s: an offerer and an answerer HELLO, an envelope each way, a textroom request and event', () => {
    expect(v.protocol).toBe(4);
    expect(v.hellos.map((h) => h.role)).toEqual(['offerer', 'answerer']);
    expect(v.envelopes.map((e) => e.direction)).toEqual(['offerer→answerer', 'answerer→offerer']);
    expect(v.envelopes.map((e) => e.string === undefined)).toEqual([false, true]);
  });

  it('the epoch’s control and text keys, from its base key', async () => {
    const base = await epochBase();
    expect(await hkdfBits(base, utf8('Framelock v4 control'), 128)).toBe(v.epoch.controlKey);
    expect(await hkdfBits(base, utf8('Framelock v4 text'), 128)).toBe(v.epoch.textKey);
  });

  it.each(v.hellos.map((h) => [h.role, h] as const))('the %s’s HELLO: plaintext, sealed bytes, line', async (_, h) => {
    const plaintext = encodeHello({ publicKey: hexToBytes(h.public), role: h.role });
    expect(bytesToHex(plaintext)).toBe(h.plaintext);
    expect(decodeHello(plaintext)).toEqual({ publicKey: hexToBytes(h.public), role: h.role });
    const sealed = await sealWith(await deriveControlKey(await epochBase()), v.epoch.epoch, hex(h.nonce), plaintext);
    expect(bytesToHex(sealed)).toBe(h.sealed);
    expect(bytesToBase64url(sealed)).toBe(h.line);
    // The control key's raw bytes and WebCrypto alone open it.
    const raw = await subtle.importKey('raw', hex(v.epoch.controlKey), 'AES-GCM', false, ['decrypt']);
    const aad = concatBytes(utf8('Framelock v4 control'), Uint8Array.of(v.epoch.epoch % 256));
    const opened = await subtle.decrypt(
      { name: 'AES-GCM', iv: hex(h.nonce), additionalData: asBufferSource(aad) },
      raw,
      hex(h.sealed).subarray(13),
    );
    expect(bytesToHex(new Uint8Array(opened))).toBe(h.plaintext);
  });

  it('each HELLO opens from its line for the other role only, in the epoch window', async () => {
    const base = await epochBase();
    const keys = new ControlKeys((e) => (e === v.epoch.epoch ? base : undefined));
    for (const [h, role] of [
      [offererHello, 'offerer'],
      [answererHello, 'answerer'],
    ] as const) {
      const other = role === 'offerer' ? 'answerer' : 'offerer';
      expect(await openHelloLine(h.line, v.epoch.epoch + 1, keys, role)).toEqual({
        publicKey: hexToBytes(h.public),
        role,
      });
      expect(await openHelloLine(h.line, v.epoch.epoch, keys, other)).toBeUndefined();
      expect(await openHelloLine(h.line, v.epoch.epoch + 2, keys, role)).toBeUndefined();
    }
  });

  it('the offer’s SDP line: written before the first m=, CRLF kept, and read back', () => {
    expect(withLine(v.sdp.offer, offererHello.line)).toBe(v.sdp.offerWithLine);
    expect(lineOf(v.sdp.offerWithLine)).toBe(offererHello.line);
    expect(lineOf(v.sdp.offer)).toBeUndefined();
  });

  it('the direction keys: X25519, info, HKDF output, split, computed at both ends', async () => {
    const offerer = await party(offererHello);
    const answerer = await party(answererHello);
    for (const [own, peer] of [
      [offerer, answerer],
      [answerer, offerer],
    ] as const) {
      const peerKey = await subtle.importKey('raw', asBufferSource(peer.publicKey), { name: 'X25519' }, true, []);
      const secret = await subtle.deriveBits({ name: 'X25519', public: peerKey }, own.privateKey, 256);
      expect(bytesToHex(new Uint8Array(secret))).toBe(v.keys.secret);
      const ikm = await subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
      expect(await hkdfBits(ikm, hexToBytes(v.keys.info), 256)).toBe(v.keys.okm);
    }
    expect(bytesToHex(dataKeysInfo(offerer.publicKey, answerer.publicKey))).toBe(v.keys.info);
    expect(v.keys.okm).toBe(v.keys.offererToAnswerer + v.keys.answererToOfferer);
  });

  it.each(v.envelopes.map((e) => [e.direction, e] as const))('the envelope %s', async (direction, e) => {
    const offerer = await party(offererHello);
    const answerer = await party(answererHello);
    const fromOfferer = direction.startsWith('offerer');
    const [sender, receiver] = fromOfferer ? [offerer, answerer] : [answerer, offerer];
    const senderRole: Role = fromOfferer ? 'offerer' : 'answerer';
    const receiverRole: Role = fromOfferer ? 'answerer' : 'offerer';
    const senderKeys = await deriveDirectionKeys(sender, senderRole, receiver.publicKey);
    const receiverKeys = await deriveDirectionKeys(receiver, receiverRole, sender.publicKey);
    const data = e.string ?? hexToBytes(e.bytes as string);
    const sealed = await sealEnvelopeWith(senderKeys?.send as CryptoKey, e.streamId, e.counter, data);
    expect(bytesToHex(sealed)).toBe(e.sealed);
    expect(e.sealed.startsWith(e.header)).toBe(true);
    expect(e.aad).toBe(bytesToHex(utf8('Framelock v4 data')) + e.header);
    expect(e.nonce).toBe(`00000000${e.header.slice(8)}`);
    // The direction key's raw bytes and WebCrypto alone open it.
    const raw = await subtle.importKey(
      'raw',
      hex(fromOfferer ? v.keys.offererToAnswerer : v.keys.answererToOfferer),
      'AES-GCM',
      false,
      ['decrypt'],
    );
    const plain = await subtle.decrypt(
      { name: 'AES-GCM', iv: hex(e.nonce), additionalData: hex(e.aad) },
      raw,
      hex(e.sealed).subarray(12),
    );
    expect(new Uint8Array(plain)).toEqual(typeof data === 'string' ? utf8(data) : data);
    // The receiver opens it once, as what the sender's page sent.
    const opener = new DataReceiver(receiverKeys?.receive as CryptoKey);
    expect(await opener.open(e.streamId, hexToBytes(e.sealed))).toEqual({
      ok: true,
      data,
      counter: e.counter,
      control: false,
    });
    expect(await opener.open(e.streamId, hexToBytes(e.sealed))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('the offerer’s confirmation: a control envelope the direction key’s raw bytes open to 0x01', async () => {
    const c = v.confirmation;
    const offerer = await party(offererHello);
    const answerer = await party(answererHello);
    const sendKeys = await deriveDirectionKeys(offerer, 'offerer', answerer.publicKey);
    const receiveKeys = await deriveDirectionKeys(answerer, 'answerer', offerer.publicKey);
    const sealed = await sealControlWith(sendKeys?.send as CryptoKey, c.streamId, c.counter, hexToBytes(c.body));
    expect(bytesToHex(sealed)).toBe(c.sealed);
    expect(c.header.slice(0, 4)).toBe('f102'); // the control flag
    const raw = await subtle.importKey('raw', hex(v.keys.offererToAnswerer), 'AES-GCM', false, ['decrypt']);
    const plain = await subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: hex(`00000000${c.header.slice(8)}`),
        additionalData: hex(bytesToHex(utf8('Framelock v4 data')) + c.header),
      },
      raw,
      hex(c.sealed).subarray(12),
    );
    expect(bytesToHex(new Uint8Array(plain))).toBe('01');
    const opener = new DataReceiver(receiveKeys?.receive as CryptoKey);
    expect(await opener.open(c.streamId, hexToBytes(c.sealed))).toEqual({
      ok: true,
      data: Uint8Array.of(1),
      counter: 1,
      control: true,
    });
  });

  it('the sealed text: its bytes, the field, and the text key’s raw bytes open it', async () => {
    const t = v.textroom;
    const textKey = await deriveTextKey(await epochBase());
    const sealed = await sealTextWith(textKey, v.epoch.epoch, hex(t.nonce), t.text);
    expect(bytesToHex(sealed)).toBe(t.sealed);
    expect(t.field).toBe(`🔒 Framelock: ${bytesToBase64url(sealed)}`);
    expect(base64urlToBytes(t.field.slice('🔒 Framelock: '.length))).toEqual(sealed);
    const raw = await subtle.importKey('raw', hex(v.epoch.textKey), 'AES-GCM', false, ['decrypt']);
    const plain = await subtle.decrypt(
      { name: 'AES-GCM', iv: hex(t.nonce), additionalData: hex(t.aad) },
      raw,
      hex(t.sealed).subarray(13),
    );
    expect(bytesToHex(new Uint8Array(plain))).toBe(t.plaintext);
    expect(t.plaintext).toBe(bytesToHex(concatBytes(Uint8Array.of(0x04), utf8(t.text))));
    const base = await epochBase();
    expect(await openText(sealed, v.epoch.epoch - 1, new TextKeys(() => base))).toEqual({
      epoch: v.epoch.epoch,
      text: t.text,
    });
  });

  it('the textroom request is sealed, and the plugin’s event opened, to the frozen messages', async () => {
    const t = v.textroom;
    const base = await epochBase();
    const keys = new TextKeys((e) => (e === v.epoch.epoch ? base : undefined));
    expect(await protectOutgoing(t.request, keys, v.epoch.epoch, fixedNonce(t.nonce))).toEqual({
      kind: 'sealed',
      text: t.requestSealed,
    });
    expect(await openIncoming(t.requestSealed, keys, v.epoch.epoch)).toEqual({ text: t.request, opened: true });
    expect(await openIncoming(t.eventSealed, keys, v.epoch.epoch)).toEqual({ text: t.eventOpened, opened: true });
  });
});
