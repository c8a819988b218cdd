/**
 * The epoch's text key (src/content/data/text-key.ts) and the Janus textroom profile (textroom.ts, json-members.ts):
 * the chat messages of janus.plugin.textroom have their text sealed and opened, and every other message, field and
 * byte is left as it was. The message shapes are the plugin's and its demo's (textroomtest.js in Debian's
 * janus-demos 1.1.2, janus_textroom.c). The frozen bytes are in data-known-answers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bytesToBase64url } from '../../src/content/data/base64url';
import { MAX_PROFILED_MESSAGE_CHARS, MAX_TEXT_BYTES, TEXT_PREFIX } from '../../src/content/data/constants';
import { topLevelMembers } from '../../src/content/data/json-members';
import { deriveTextKey, openText, sealText, sealTextWith, TextKeys } from '../../src/content/data/text-key';
import { openIncoming, protectOutgoing } from '../../src/content/data/textroom';
import { ControlKeys, seal } from '../../src/content/exchange/seal';
import { asBufferSource, concatBytes } from '../../src/shared/bytes';
import { hkdfKey } from './exchange-fixtures';

const EPOCH = 2_900_000;

/** Text keys of one room: a base key for each epoch around EPOCH (and the base keys, for other derivations). */
async function room(): Promise<{ keys: TextKeys; base: Map<number, CryptoKey> }> {
  const base = new Map<number, CryptoKey>();
  for (let e = EPOCH - 3; e <= EPOCH + 3; e++) base.set(e, await hkdfKey(crypto.getRandomValues(new Uint8Array(16))));
  return { keys: new TextKeys((e) => base.get(e)), base };
}

/** The sealed field of a message `protectOutgoing` made. */
const fieldOf = (json: string) => (JSON.parse(json) as { text: string }).text;

async function sealedJson(json: string, keys: TextKeys, epoch = EPOCH): Promise<string> {
  const result = await protectOutgoing(json, keys, epoch);
  if (result?.kind !== 'sealed') throw new Error(`not sealed: ${JSON.stringify(result)}`);
  return result.text;
}

describe('text key and sealed TEXT', () => {
  it('opens what it sealed in the window around its epoch, not beyond, not in another room', async () => {
    const { keys } = await room();
    const other = await room();
    for (const e of [EPOCH - 1, EPOCH, EPOCH + 1]) {
      const sealed = (await sealText('hi ✓', e, keys)) as Uint8Array;
      expect(sealed.length).toBe(1 + 12 + 1 + 'hi ✓'.length + 2 + 16); // ✓ is 3 bytes of UTF-8
      expect(await openText(sealed, EPOCH, keys)).toEqual({ epoch: e, text: 'hi ✓' });
      expect(await openText(sealed, EPOCH, other.keys)).toBeUndefined();
    }
    for (const e of [EPOCH - 2, EPOCH + 2]) {
      expect(await openText((await sealText('x', e, keys)) as Uint8Array, EPOCH, keys)).toBeUndefined();
    }
  });

  it('refuses every single-bit flip', async () => {
    const { keys } = await room();
    const sealed = (await sealText('flip', EPOCH, keys)) as Uint8Array;
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = sealed.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        expect(await openText(flipped, EPOCH, keys), `byte ${i} bit ${bit}`).toBeUndefined();
      }
    }
  });

  it('is not the control key: a HELLO or STATE sealed under the control key does not open as text', async () => {
    const { keys, base } = await room();
    const control = new ControlKeys((e) => base.get(e));
    const sealed = (await seal(Uint8Array.of(0x04, 0x68, 0x69), EPOCH, control)) as Uint8Array;
    expect(await openText(sealed, EPOCH, keys)).toBeUndefined();
  });

  it('refuses a plaintext of another type or invalid UTF-8, sealed under the right key', async () => {
    const { keys, base } = await room();
    const key = await deriveTextKey(base.get(EPOCH) as CryptoKey);
    const raw = async (plaintext: Uint8Array) => {
      const nonce = new Uint8Array(12).fill(1);
      const aad = concatBytes(new TextEncoder().encode('Framelock v4 text'), Uint8Array.of(EPOCH % 256));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: asBufferSource(aad) },
        key,
        asBufferSource(plaintext),
      );
      return concatBytes(Uint8Array.of(EPOCH % 256), nonce, new Uint8Array(sealed));
    };
    expect(await openText(await raw(Uint8Array.of(0x04, 0x68, 0x69)), EPOCH, keys)).toEqual({
      epoch: EPOCH,
      text: 'hi',
    });
    expect(await openText(await raw(Uint8Array.of(0x03, 0x68, 0x69)), EPOCH, keys)).toBeUndefined();
    expect(await openText(await raw(Uint8Array.of(0x04, 0xc3, 0x28)), EPOCH, keys)).toBeUndefined();
    expect(await openText(await raw(new Uint8Array(0)), EPOCH, keys)).toBeUndefined();
  });

  it('texts up to 64 KiB of UTF-8; longer ones are not sealed, and never opened', async () => {
    const { keys, base } = await room();
    const longest = 'é'.repeat(MAX_TEXT_BYTES / 2);
    expect(await openText((await sealText(longest, EPOCH, keys)) as Uint8Array, EPOCH, keys)).toEqual({
      epoch: EPOCH,
      text: longest,
    });
    expect(await sealText(`${longest}x`, EPOCH, keys)).toBeUndefined();
    const key = await deriveTextKey(base.get(EPOCH) as CryptoKey);
    await expect(sealTextWith(key, EPOCH, new Uint8Array(12), `${longest}x`)).rejects.toThrow(RangeError);
    await expect(sealTextWith(key, EPOCH, new Uint8Array(11), 'x')).rejects.toThrow(RangeError);
    await expect(sealTextWith(key, -1, new Uint8Array(12), 'x')).rejects.toThrow(RangeError);
    expect(await openText(new Uint8Array(13 + 1 + MAX_TEXT_BYTES + 16 + 1), EPOCH, keys)).toBeUndefined();
    expect(await openText(new Uint8Array(29), EPOCH, keys)).toBeUndefined();
    expect(await sealText('x', EPOCH, new TextKeys(() => undefined))).toBeUndefined();
  });

  it('TextKeys: derives once per base key, again for a new base key, forgets epochs outside the window', async () => {
    let { base } = await room();
    let asked = 0;
    const keys = new TextKeys((e) => {
      asked++;
      return base.get(e);
    });
    const k = await keys.get(EPOCH);
    expect(k?.extractable).toBe(false);
    expect(k?.algorithm).toMatchObject({ name: 'AES-GCM', length: 128 });
    expect(k?.usages.sort()).toEqual(['decrypt', 'encrypt']);
    expect(await keys.get(EPOCH)).toBe(k);
    expect(asked).toBe(2);
    base = (await room()).base; // another room: another base key for the same epoch
    expect(await keys.get(EPOCH)).not.toBe(k);
    const before = await keys.get(EPOCH - 1);
    expect(await keys.get(EPOCH - 1)).toBe(before);
    keys.prune(EPOCH + 1); // EPOCH - 1 left the window
    expect(await keys.get(EPOCH - 1)).not.toBe(before);
    const now = await keys.get(EPOCH);
    keys.clear();
    expect(await keys.get(EPOCH)).not.toBe(now);
    base = new Map();
    expect(await keys.get(EPOCH)).toBeUndefined();
  });
});

describe('json members', () => {
  it('finds each top-level value, past nested objects, arrays and strings with quotes, braces and escapes', () => {
    const json = ' { "a" : {"x":[1,{"}":"]"}]} , "te\\u0078t":"q\\"}{" ,"n":-1.5e3,"t":true,"z":null,"e":[] } ';
    const members = topLevelMembers(json) ?? [];
    expect(members.map((m) => [m.key, json.slice(m.start, m.end)])).toEqual([
      ['a', '{"x":[1,{"}":"]"}]}'],
      ['text', '"q\\"}{"'],
      ['n', '-1.5e3'],
      ['t', 'true'],
      ['z', 'null'],
      ['e', '[]'],
    ]);
    expect(topLevelMembers('{}')).toEqual([]);
    expect(topLevelMembers('{"a":1,"a":2}')?.map((m) => m.key)).toEqual(['a', 'a']);
  });

  it('gives up on what is not an object’s text', () => {
    for (const bad of ['[]', '"x"', '1', '', '{', '{"a"}', '{"a":1,}', '{"a":1} x', '{"a":"x}', '{"a" 1}']) {
      expect(topLevelMembers(bad), bad).toBeUndefined();
    }
  });
});

describe('textroom: outgoing', () => {
  const requests = {
    public: '{"textroom":"message","transaction":"aB3dE5fG7hI9","room":1234,"text":"hello room"}',
    to: '{"textroom":"message","transaction":"q","room":1234,"to":"bob","text":"just you"}',
    tos: '{"textroom":"message","transaction":"q","room":1234,"tos":["bob","carol"],"text":"you two"}',
    noAck: '{"textroom":"message","transaction":"q","room":1234,"text":"fire and forget","ack":false}',
    textFirst: '{"text":"first field","textroom":"message","room":1234,"transaction":"q"}',
    pretty: '{\n   "textroom": "message",\n   "room": 1234,\n   "text": "indented"\n}\n',
    bigRoom: '{"textroom":"message","transaction":"q","room":18446744073709551615,"text":"big room id"}',
    escapes: '{"textroom":"message","transaction":"\\u0071","room":1234,"text":"caf\\u00e9 \\"quoted\\" 😀\\n"}',
    escapedKey: '{"textroom":"message","room":1234,"te\\u0078t":"an escaped key"}',
    empty: '{"textroom":"message","transaction":"q","room":1234,"text":""}',
  };

  it.each(Object.entries(requests))('%s: only the text value changes, every other byte kept', async (_, json) => {
    const { keys } = await room();
    const sealed = await sealedJson(json, keys);
    const original = topLevelMembers(json) ?? [];
    const members = topLevelMembers(sealed) ?? [];
    expect(members.map((m) => m.key)).toEqual(original.map((m) => m.key));
    const text = original.find((m) => m.key === 'text');
    const after = members.find((m) => m.key === 'text');
    if (text === undefined || after === undefined) throw new Error('no text');
    expect(sealed.slice(0, after.start)).toBe(json.slice(0, text.start));
    expect(sealed.slice(after.end)).toBe(json.slice(text.end));
    const field = JSON.parse(sealed.slice(after.start, after.end)) as string;
    expect(field.startsWith(TEXT_PREFIX)).toBe(true);
    expect(field.slice(TEXT_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
    // And back: the same message, its text unescaped as JSON.stringify writes it.
    const opened = await openIncoming(sealed, keys, EPOCH);
    const value = JSON.parse(json.slice(text.start, text.end)) as string;
    expect(opened).toEqual({
      text: json.slice(0, text.start) + JSON.stringify(value) + json.slice(text.end),
      opened: true,
    });
  });

  it('a fresh nonce per message: the same text twice seals differently', async () => {
    const { keys } = await room();
    expect(await sealedJson(requests.public, keys)).not.toBe(await sealedJson(requests.public, keys));
  });

  it('refuses (never sends in clear) a text over 64 KiB, and without the epoch’s key', async () => {
    const { keys } = await room();
    const long = JSON.stringify({ textroom: 'message', room: 1, text: 'x'.repeat(MAX_TEXT_BYTES + 1) });
    expect(await protectOutgoing(long, keys, EPOCH)).toEqual({ kind: 'refused', reason: 'too_large' });
    const fits = JSON.stringify({ textroom: 'message', room: 1, text: 'x'.repeat(MAX_TEXT_BYTES) });
    expect((await protectOutgoing(fits, keys, EPOCH))?.kind).toBe('sealed');
    expect(await protectOutgoing(requests.public, new TextKeys(() => undefined), EPOCH)).toEqual({
      kind: 'refused',
      reason: 'no_key',
    });
  });
});

/** Requests and events of the plugin that are not chat messages, or not ones this profile reads. */
const untouched = [
  '{"textroom":"join","transaction":"q","room":1234,"username":"alice","display":"Alice"}',
  '{"textroom":"list","transaction":"q"}',
  '{"textroom":"listparticipants","transaction":"q","room":1234}',
  '{"textroom":"leave","transaction":"q","room":1234}',
  '{"textroom":"announcement","transaction":"q","room":1234,"secret":"adminpwd","text":"server going down"}',
  '{"textroom":"announcement","room":1234,"date":"2026-01-01T00:00:00+0000","text":"server going down"}',
  '{"textroom":"success","transaction":"q","participants":[{"username":"bob","display":"Bob"}]}',
  '{"textroom":"success","transaction":"q","sent":{"bob":true}}',
  '{"textroom":"error","error_code":417,"error":"No such room (1234)"}',
  '{"textroom":"join","room":1234,"username":"bob","display":"Bob"}',
  '{"textroom":"leave","room":1234,"username":"bob"}',
  '{"textroom":"kicked","room":1234,"username":"bob"}',
  '{"textroom":"destroyed","room":1234}',
  // Close, but not the profile's shape.
  '{"textroom":"Message","room":1234,"text":"case differs"}',
  '{"textroom":["message"],"room":1234,"text":"not a string"}',
  '{"room":1234,"text":"no textroom"}',
  '{"textroom":"message","room":1234,"body":{"text":"nested"}}',
  '{"textroom":"message","room":1234,"text":42}',
  '{"textroom":"message","room":1234,"text":null}',
  '{"textroom":"message","room":1234,"text":{"x":"y"}}',
  '{"textroom":"message","room":1234,"text":["a"]}',
  '{"textroom":"message","room":1234}',
  '{"textroom":"message","room":1234,"text":"one","text":"two"}',
  '[{"textroom":"message","text":"in an array"}]',
  '"{\\"textroom\\":\\"message\\",\\"text\\":\\"a string\\"}"',
  // Malformed JSON.
  '{"textroom":"message","room":1234,"text":"unterminated}',
  '{"textroom":"message","room":1234,"text":"trailing comma",}',
  "{'textroom':'message','text':'single quotes'}",
  '{"textroom":"message","text":"x"} trailing',
  '',
  'not json at all: 🔒 Framelock: AAAA',
  'null',
];

describe('textroom: what is not a chat message is left alone', () => {
  it.each(untouched)('%s', async (json) => {
    const { keys } = await room();
    expect(await protectOutgoing(json, keys, EPOCH)).toBeUndefined();
    expect(await openIncoming(json, keys, EPOCH)).toBeUndefined();
  });

  it('so is anything longer than a data channel carries, and what is not a string', async () => {
    const { keys } = await room();
    const huge = JSON.stringify({ textroom: 'message', text: 'x'.repeat(MAX_PROFILED_MESSAGE_CHARS) });
    expect(await protectOutgoing(huge, keys, EPOCH)).toBeUndefined();
    expect(await openIncoming(huge, keys, EPOCH)).toBeUndefined();
    for (const odd of [undefined, null, 1, {}, new String('{"textroom":"message","text":"x"}')]) {
      expect(await protectOutgoing(odd as string, keys, EPOCH)).toBeUndefined();
      expect(await openIncoming(odd as string, keys, EPOCH)).toBeUndefined();
    }
  });
});

describe('textroom: incoming', () => {
  /** The plugin's event for a message, as janus_textroom.c writes it (json_dumps, JSON_INDENT(3)). */
  const event = (field: string, whisper = false) =>
    `{\n   "textroom": "message",\n   "room": 1234,\n   "from": "alice",\n   "date": "2026-01-01T10:00:00+0100",\n   "text": ${JSON.stringify(field)}${whisper ? ',\n   "whisper": true' : ''}\n}`;

  it('the plugin’s relayed event, public or a whisper: opened, every other byte kept', async () => {
    const { keys } = await room();
    for (const whisper of [false, true]) {
      const field = fieldOf(await sealedJson(chatRequest('Grüße 😀'), keys));
      expect(await openIncoming(event(field, whisper), keys, EPOCH)).toEqual({
        text: event('Grüße 😀', whisper),
        opened: true,
      });
    }
  });

  it('a text in clear, or a user who typed the prefix: delivered as it came', async () => {
    const { keys } = await room();
    for (const text of ['plain words', `${TEXT_PREFIX}hi`, `${TEXT_PREFIX}`, ` ${TEXT_PREFIX}AAAA`]) {
      expect(await openIncoming(event(text), keys, EPOCH)).toEqual({ text: event(text), opened: false });
    }
  });

  it('sealed for another room, or outside the epoch window: delivered as it came (the marker text shows)', async () => {
    const { keys } = await room();
    const other = await room();
    const field = fieldOf(await sealedJson(chatRequest('secret'), other.keys));
    expect(await openIncoming(event(field), keys, EPOCH)).toEqual({ text: event(field), opened: false });
    const old = fieldOf(await sealedJson(chatRequest('old'), keys, EPOCH - 2));
    expect(await openIncoming(event(old), keys, EPOCH)).toEqual({ text: event(old), opened: false });
    const previous = fieldOf(await sealedJson(chatRequest('previous'), keys, EPOCH - 1));
    expect(await openIncoming(event(previous), keys, EPOCH)).toEqual({ text: event('previous'), opened: true });
  });

  it('a server that escapes the lock (\\ud83d\\udd12) changes nothing', async () => {
    const { keys } = await room();
    const field = fieldOf(await sealedJson(chatRequest('escaped'), keys));
    const escaped = event(field).replace('🔒', '\\ud83d\\udd12');
    expect(escaped).not.toContain('🔒');
    expect(await openIncoming(escaped, keys, EPOCH)).toEqual({ text: event('escaped'), opened: true });
  });

  it('a replayed or reordered text is shown again: the relay chooses what to relay (history does)', async () => {
    const { keys } = await room();
    const first = fieldOf(await sealedJson(chatRequest('one'), keys));
    const second = fieldOf(await sealedJson(chatRequest('two'), keys));
    for (const [field, text] of [
      [second, 'two'],
      [first, 'one'],
      [first, 'one'],
    ] as const) {
      expect(await openIncoming(event(field), keys, EPOCH)).toEqual({ text: event(text), opened: true });
    }
  });

  it('every single-bit flip of the sealed bytes, and every changed character of the field: not opened', async () => {
    const { keys } = await room();
    const field = fieldOf(await sealedJson(chatRequest('flip'), keys));
    const encoded = field.slice(TEXT_PREFIX.length);
    const sealed = Buffer.from(encoded, 'base64url');
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Uint8Array.from(sealed);
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        const altered = event(TEXT_PREFIX + bytesToBase64url(flipped));
        expect(await openIncoming(altered, keys, EPOCH), `byte ${i} bit ${bit}`).toMatchObject({ opened: false });
      }
    }
    for (let i = 0; i < encoded.length; i++) {
      const c = encoded.charCodeAt(i);
      const altered = `${encoded.slice(0, i)}${String.fromCharCode(c === 65 ? 66 : 65)}${encoded.slice(i + 1)}`;
      expect(await openIncoming(event(TEXT_PREFIX + altered), keys, EPOCH)).toMatchObject({ opened: false });
    }
  });
});

/** A chat request of the demo's shape with this text. */
function chatRequest(text: string): string {
  return JSON.stringify({ textroom: 'message', transaction: 'aB3dE5fG7hI9', room: 1234, text });
}
