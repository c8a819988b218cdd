/**
 * Writes test/vectors/framelock-data.json: known answers of the data-channel formats (docs/frame-format.md §2.8;
 * src/content/data/): a HELLO pair sealed under an epoch's control key and written into SDP lines, the direction keys
 * the two derive, an envelope each way, and a Janus textroom request and event whose text is sealed under the epoch's
 * text key. Run ONCE, check the output in, and never run it again to make a failing test pass (test/vectors/README.md):
 * it refuses to overwrite the file.
 *
 *   npx tsx test/vectors/generate-framelock-data.ts
 *
 * Every input is fixed here. The offerer is RFC 7748 §6.1's Alice, the answerer its Bob.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { deriveControlKey, sealWith } from '../../src/content/exchange/seal';
import { bytesToBase64url } from '../../src/content/data/base64url';
import { sealControlWith, sealEnvelopeWith } from '../../src/content/data/envelope';
import { encodeHello } from '../../src/content/data/hello';
import { dataKeysInfo, deriveDirectionKeys } from '../../src/content/data/keys';
import { withLine } from '../../src/content/data/sdp-line';
import { deriveTextKey, sealTextWith } from '../../src/content/data/text-key';
import { asBufferSource, bytesToHex, concatBytes, hexToBytes } from '../../src/shared/bytes';
import { hkdfKey, importX25519Private } from '../unit/exchange-fixtures';

const FILE = new URL('framelock-data.json', import.meta.url);
if (existsSync(FILE)) throw new Error(`${FILE.pathname} exists and is frozen`);

const rfc7748 = JSON.parse(readFileSync(new URL('rfc7748-x25519.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const hex = (s: string | undefined) => hexToBytes(String(s));
const range = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const utf8 = (s: string) => new TextEncoder().encode(s);
const subtle = crypto.subtle;

async function hkdfBits(ikm: CryptoKey, info: Uint8Array, bits: number): Promise<Uint8Array> {
  return new Uint8Array(
    await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(info) }, ikm, bits),
  );
}

/** A browser's data-channel-only offer (Chromium's layout, CRLF), before and after our line. */
const OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:Jx4V',
  'a=ice-pwd:0yXvZ4C9PuBcjd7FoZZ3mIbo',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 9F:36:AB:1C:61:0E:36:70:3D:0B:E6:7A:28:11:95:64:2A:10:D2:E1:0C:79:A3:3A:6E:53:E5:02:E2:0A:3B:74',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

async function main(): Promise<void> {
  const offerer = {
    private: rfc7748.alicePrivate as string,
    publicKey: hex(rfc7748.alicePublic),
    privateKey: await importX25519Private(hex(rfc7748.alicePrivate)),
  };
  const answerer = {
    private: rfc7748.bobPrivate as string,
    publicKey: hex(rfc7748.bobPublic),
    privateKey: await importX25519Private(hex(rfc7748.bobPrivate)),
  };

  // ---- the epoch's keys
  const epochBaseKey = range(0x50, 16);
  const epoch = 2_900_400;
  const base = await hkdfKey(epochBaseKey);
  const controlKey = await hkdfBits(base, utf8('Framelock v4 control'), 128);
  const textKey = await hkdfBits(base, utf8('Framelock v4 text'), 128);

  // ---- the HELLOs, sealed, and their SDP lines
  const hellos = [];
  for (const [role, party, nonce] of [
    ['offerer', offerer, range(0xd0, 12)],
    ['answerer', answerer, range(0xe0, 12)],
  ] as const) {
    const plaintext = encodeHello({ publicKey: party.publicKey, role });
    const sealed = await sealWith(await deriveControlKey(base), epoch, nonce, plaintext);
    hellos.push({
      role,
      private: party.private,
      public: bytesToHex(party.publicKey),
      plaintext: bytesToHex(plaintext),
      nonce: bytesToHex(nonce),
      sealed: bytesToHex(sealed),
      line: bytesToBase64url(sealed),
    });
  }
  const offerLine = hellos[0]?.line as string;
  const offerWithLine = withLine(OFFER, offerLine);

  // ---- the direction keys, with deriveBits all the way (the design's formula, written again)
  const peer = await subtle.importKey('raw', asBufferSource(answerer.publicKey), { name: 'X25519' }, true, []);
  const secret = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, offerer.privateKey, 256));
  const info = concatBytes(utf8('Framelock v4 data'), offerer.publicKey, answerer.publicKey);
  if (bytesToHex(info) !== bytesToHex(dataKeysInfo(offerer.publicKey, answerer.publicKey))) throw new Error('info');
  const okm = await hkdfBits(await subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']), info, 256);

  // ---- an envelope each way, sealed by our code with the offerer's and the answerer's sending keys
  const offererKeys = await deriveDirectionKeys(offerer, 'offerer', answerer.publicKey);
  const answererKeys = await deriveDirectionKeys(answerer, 'answerer', offerer.publicKey);
  if (offererKeys === undefined || answererKeys === undefined) throw new Error('no keys');
  const envelopeOf = async (
    direction: string,
    key: CryptoKey,
    streamId: number,
    counter: number,
    data: string | Uint8Array,
  ) => {
    const sealed = await sealEnvelopeWith(key, streamId, counter, data);
    return {
      direction,
      streamId,
      counter,
      ...(typeof data === 'string' ? { string: data } : { bytes: bytesToHex(data) }),
      header: bytesToHex(sealed.subarray(0, 12)),
      nonce: bytesToHex(concatBytes(new Uint8Array(4), sealed.subarray(4, 12))),
      aad: bytesToHex(concatBytes(utf8('Framelock v4 data'), sealed.subarray(0, 12))),
      sealed: bytesToHex(sealed),
    };
  };
  const envelopes = [
    await envelopeOf('offerer→answerer', offererKeys.send, 1, 0, '{"chat":"Grüße, Bob ✓"}'),
    await envelopeOf('answerer→offerer', answererKeys.send, 4, 41, range(0x00, 24)),
  ];
  // ---- the offerer's confirmation (a control envelope: flags 0x02, its one byte 0x01), on stream 1 after the above
  const confirmationSealed = await sealControlWith(offererKeys.send, 1, 1, Uint8Array.of(0x01));
  const confirmation = {
    direction: 'offerer→answerer',
    streamId: 1,
    counter: 1,
    body: '01',
    header: bytesToHex(confirmationSealed.subarray(0, 12)),
    sealed: bytesToHex(confirmationSealed),
  };

  // ---- a textroom request and the plugin's event, their text sealed under the text key
  const text = 'Grüße "aus" dem Raum 😀\nline two';
  const textNonce = range(0xf0, 12);
  const sealedText = await sealTextWith(await deriveTextKey(base), epoch, textNonce, text);
  const field = `🔒 Framelock: ${bytesToBase64url(sealedText)}`;
  const request = `{"textroom":"message","transaction":"k3Xw9pQ2mZ7a","room":1234,"text":${JSON.stringify(text)}}`;
  const event = `{\n   "textroom": "message",\n   "room": 1234,\n   "from": "alice",\n   "date": "2026-01-01T00:00:00+0000",\n   "text": ${JSON.stringify(field)},\n   "whisper": true\n}`;

  const out = {
    description:
      'Framelock data channels (docs/frame-format.md §2.8: SDP line, HELLO, envelope, sealed text) known answers. Frozen: see test/vectors/README.md.',
    protocol: 4,
    epoch: {
      epochBaseKey: bytesToHex(epochBaseKey),
      epoch,
      controlKey: bytesToHex(controlKey),
      textKey: bytesToHex(textKey),
    },
    hellos,
    sdp: { offer: OFFER, offerWithLine },
    keys: {
      secret: bytesToHex(secret),
      info: bytesToHex(info),
      okm: bytesToHex(okm),
      offererToAnswerer: bytesToHex(okm.subarray(0, 16)),
      answererToOfferer: bytesToHex(okm.subarray(16, 32)),
    },
    envelopes,
    confirmation,
    textroom: {
      text,
      nonce: bytesToHex(textNonce),
      plaintext: bytesToHex(concatBytes(Uint8Array.of(0x04), utf8(text))),
      aad: bytesToHex(concatBytes(utf8('Framelock v4 text'), Uint8Array.of(epoch % 256))),
      sealed: bytesToHex(sealedText),
      field,
      request,
      requestSealed: request.replace(JSON.stringify(text), JSON.stringify(field)),
      eventSealed: event,
      eventOpened: event.replace(JSON.stringify(field), JSON.stringify(text)),
    },
  };
  writeFileSync(FILE, `${JSON.stringify(out, null, 2)}\n`);
}

await main();
