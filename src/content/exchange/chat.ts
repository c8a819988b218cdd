/**
 * @module The call's chat message, CHAT (docs/keys.md, "Chat messages"): its plaintext inside the control seal
 * (seal.ts, as a STATE's), the chat key its body is sealed under, and the pairwise MACs that say who wrote it. All
 * integers big-endian.
 *
 * ```
 *  0      1            7     8            12               24           26
 * +------+------------+-----+------------+----------------+------------+-------------------------------+
 * | 0x02 | pid (6)    | gen | seq (4)    | nonce (12)     | length (2) | AES-128-GCM(chat key, nonce,  |
 * |      | top 4 = 0  | mod | per call,  | random         | of the     |   body, aad) ‖ tag (16)       |
 * |      |            | 256 | from 0     |                | sealed body|   (length bytes)              |
 * +------+------------+-----+------------+----------------+------------+-------------------------------+
 * | mac count (2) | mac count × ( recipient pid (6) ‖ HMAC-SHA256(mac key S→R, everything before mac count)[0..16) ) |
 * +---------------+-------------------------------------------------------------------------------------------------+
 *
 * body     = sent-at (8, ms since the Unix epoch, the sender's clock) ‖ name length (1) ‖ name (UTF-8, ≤ 64 bytes)
 *            ‖ text (UTF-8, 1 ..= 4096 bytes)
 * aad      = "Framelock v4 chat" ‖ the 12 header bytes (0x02 ‖ pid ‖ gen ‖ seq)
 * chat key = HKDF-SHA256(ikm = the sender key of generation gen, salt = empty, info = "Framelock v4 chat")
 *            → AES-128-GCM (the RFC 9605 §4.4.2 key schedule's HKDF-Extract of the same base key; only the info differs)
 * mac key  = HKDF-SHA256(ikm = X25519(e_S, pub_R), salt = empty, info = "Framelock v4 chat mac" ‖ pub_S ‖ pub_R)
 *            → HMAC-SHA256 (identity.ts)
 * ```
 *
 * `length` is the sealed body's (26..4,185 bytes): the MACs follow the body, so without it the layout could not be
 * read from the front (a mac count that happens to fit at another offset would make it ambiguous).
 *
 * Two layers, for two jobs. The control seal around the whole message proves room membership, but the passphrase that
 * keys it is not forward secret; the body is sealed again under a key of the sender's current sender key, which is as
 * forward secret as the media (random per generation, wrapped pairwise, erased with its generation). Every member holding
 * that sender key could write a body "from" its sender, so each recipient also gets a MAC under a key only the sender
 * and it share: a recipient takes only what the sender wrote.
 *
 * Encoding our own CHAT checks it and throws; decoding a received one never throws: anything malformed is `undefined`.
 */
import { asBufferSource, concatBytes, constantTimeEqual, readUintBE, writeUintBE } from '../../shared/bytes';
import {
  CHAT_BODY_FIXED_BYTES,
  CHAT_HEADER_BYTES,
  CHAT_KEY_BITS,
  CHAT_LABEL,
  CHAT_MAC_BYTES,
  CHAT_TYPE,
  GCM_TAG_BYTES,
  MAX_CHAT_BYTES,
  MAX_CHAT_NAME_BYTES,
  MAX_CHAT_SEALED_BODY_BYTES,
  MAX_CHAT_SEQ,
  MAX_CHAT_TEXT_BYTES,
  MAX_OTHERS,
  MAX_PID,
  MIN_CHAT_SEALED_BODY_BYTES,
  NONCE_BYTES,
  PID_BYTES,
} from './constants';

/** What a chat message says, inside its sealed body. */
export interface ChatBody {
  /** When the sender sent it: ms since the Unix epoch, by the sender's clock (a claim, like the name). */
  sentAt: number;
  /** The sender's display name, possibly empty: its own claim. */
  name: string;
  /** 1 to {@link MAX_CHAT_TEXT_BYTES} bytes of UTF-8. */
  text: string;
}

/** One recipient's MAC. */
export interface ChatMac {
  pid: bigint;
  /** The first {@link CHAT_MAC_BYTES} bytes of HMAC-SHA256(mac key sender→pid, the signed bytes). */
  mac: Uint8Array;
}

/** A CHAT as on the wire: its body still sealed. */
export interface Chat {
  /** The sender's participant id (44 bits). */
  pid: bigint;
  /** The generation of the sender key its body is sealed under, mod 256 (0..255). */
  gen: number;
  /** The sender's count of chat messages in this call, from 0 (0..2^32 - 1). */
  seq: number;
  /** The body's AES-GCM nonce: 12 random bytes. */
  nonce: Uint8Array;
  /** The body's ciphertext and GCM tag. */
  sealedBody: Uint8Array;
  /** One per recipient, each recipient once, never the sender. */
  macs: ChatMac[];
}

/** The fields of a CHAT that its MACs cover (everything but the MACs). */
export type SignedChat = Omit<Chat, 'macs'>;

const MAC_ENTRY_BYTES = PID_BYTES + CHAT_MAC_BYTES;
const SIGNED_FIXED_BYTES = CHAT_HEADER_BYTES + NONCE_BYTES + 2;

const utf8 = new TextEncoder();
/** Refuses invalid UTF-8 instead of replacing it, and keeps a leading BOM as text (it was sent as text). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isPid(pid: bigint): boolean {
  return pid >= 0n && pid <= MAX_PID;
}

/** A text and a name a person typed: `empty`, `too_long`, or their UTF-8 bytes. */
export function checkChatInput(
  text: string,
  name: string,
): 'empty' | 'too_long' | { text: Uint8Array; name: Uint8Array } {
  const textBytes = utf8.encode(text);
  const nameBytes = utf8.encode(name);
  if (textBytes.length === 0) return 'empty';
  if (textBytes.length > MAX_CHAT_TEXT_BYTES || nameBytes.length > MAX_CHAT_NAME_BYTES) return 'too_long';
  return { text: textBytes, name: nameBytes };
}

// ---- the body ---------------------------------------------------------------------------------------------------------

/**
 * The body's plaintext bytes.
 *
 * @throws RangeError if sent-at is not a non-negative safe integer, the name is longer than
 *   {@link MAX_CHAT_NAME_BYTES} or the text empty or longer than {@link MAX_CHAT_TEXT_BYTES} (UTF-8 bytes).
 */
export function encodeChatBody(body: ChatBody): Uint8Array {
  if (!Number.isSafeInteger(body.sentAt) || body.sentAt < 0) throw new RangeError('CHAT: sent-at is not a time');
  const checked = checkChatInput(body.text, body.name);
  if (checked === 'empty') throw new RangeError('CHAT: the text is empty');
  if (checked === 'too_long') throw new RangeError('CHAT: the text or the name is too long');
  const out = new Uint8Array(CHAT_BODY_FIXED_BYTES + checked.name.length + checked.text.length);
  writeUintBE(out, 0, 8, BigInt(body.sentAt));
  out[8] = checked.name.length;
  out.set(checked.name, CHAT_BODY_FIXED_BYTES);
  out.set(checked.text, CHAT_BODY_FIXED_BYTES + checked.name.length);
  return out;
}

/** A body from decrypted bytes, or undefined (lengths that do not add up, invalid UTF-8). Never throws. */
export function decodeChatBody(bytes: Uint8Array): ChatBody | undefined {
  if (bytes.length < CHAT_BODY_FIXED_BYTES + 1) return undefined;
  const sentAt = readUintBE(bytes, 0, 8);
  if (sentAt > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const nameLength = bytes[8] as number;
  const textLength = bytes.length - CHAT_BODY_FIXED_BYTES - nameLength;
  if (nameLength > MAX_CHAT_NAME_BYTES || textLength < 1 || textLength > MAX_CHAT_TEXT_BYTES) return undefined;
  try {
    const name = strictUtf8.decode(bytes.subarray(CHAT_BODY_FIXED_BYTES, CHAT_BODY_FIXED_BYTES + nameLength));
    const text = strictUtf8.decode(bytes.subarray(CHAT_BODY_FIXED_BYTES + nameLength));
    return { sentAt: Number(sentAt), name, text };
  } catch {
    return undefined; // TextDecoder's fatal mode: not UTF-8
  }
}

// ---- the message ------------------------------------------------------------------------------------------------------

/** The 12 header bytes: type, pid, gen, seq (the body's AAD after the label). */
function header(chat: Pick<Chat, 'pid' | 'gen' | 'seq'>): Uint8Array {
  const out = new Uint8Array(CHAT_HEADER_BYTES);
  out[0] = CHAT_TYPE;
  writeUintBE(out, 1, PID_BYTES, chat.pid);
  out[1 + PID_BYTES] = chat.gen;
  writeUintBE(out, 2 + PID_BYTES, 4, BigInt(chat.seq));
  return out;
}

function checkSigned(chat: SignedChat): void {
  if (!isPid(chat.pid)) throw new RangeError('CHAT: pid is not 44 bits');
  if (!Number.isInteger(chat.gen) || chat.gen < 0 || chat.gen > 255) throw new RangeError('CHAT: gen is not a byte');
  if (!Number.isInteger(chat.seq) || chat.seq < 0 || chat.seq > MAX_CHAT_SEQ) throw new RangeError('CHAT: bad seq');
  if (chat.nonce.length !== NONCE_BYTES) throw new RangeError('CHAT: the nonce is not 12 bytes');
  const n = chat.sealedBody.length;
  if (n < MIN_CHAT_SEALED_BODY_BYTES || n > MAX_CHAT_SEALED_BODY_BYTES) throw new RangeError('CHAT: bad body length');
}

/**
 * The bytes every MAC covers: everything before the mac count.
 *
 * @throws RangeError for fields {@link encodeChat} would refuse.
 */
export function signedBytes(chat: SignedChat): Uint8Array {
  checkSigned(chat);
  const length = new Uint8Array(2);
  writeUintBE(length, 0, 2, BigInt(chat.sealedBody.length));
  return concatBytes(header(chat), chat.nonce, length, chat.sealedBody);
}

/**
 * The CHAT's plaintext bytes (sealed next under the control key, as a STATE is).
 *
 * @throws RangeError if a pid is not 44 bits, gen not 0..255, seq not 4 bytes, the nonce not 12 bytes, the sealed body
 *   of a length no body has, a MAC not 16 bytes, more than {@link MAX_OTHERS} MACs, a recipient named twice or the
 *   sender among them.
 */
export function encodeChat(chat: Chat): Uint8Array {
  const signed = signedBytes(chat);
  const { macs } = chat;
  if (macs.length > MAX_OTHERS) throw new RangeError('CHAT: too many MACs');
  const seen = new Set<bigint>([chat.pid]);
  for (const m of macs) {
    if (!isPid(m.pid)) throw new RangeError('CHAT: pid is not 44 bits');
    if (seen.has(m.pid)) throw new RangeError('CHAT: a recipient is named twice, or is the sender');
    if (m.mac.length !== CHAT_MAC_BYTES) throw new RangeError('CHAT: a MAC is not 16 bytes');
    seen.add(m.pid);
  }
  const out = new Uint8Array(signed.length + 2 + macs.length * MAC_ENTRY_BYTES);
  out.set(signed, 0);
  let at = signed.length;
  writeUintBE(out, at, 2, BigInt(macs.length));
  at += 2;
  for (const m of macs) {
    writeUintBE(out, at, PID_BYTES, m.pid);
    out.set(m.mac, at + PID_BYTES);
    at += MAC_ENTRY_BYTES;
  }
  return out;
}

/**
 * A CHAT read from untrusted bytes (a member's, or anyone's who holds the epoch key), or undefined: another type, a pid
 * with its top bits set, lengths that do not add up, trailing bytes, more than {@link MAX_OTHERS} MACs, a recipient
 * named twice or the sender among them. The body is not opened here ({@link openChatBody}). Never throws.
 */
export function decodeChat(untrusted: Uint8Array): Chat | undefined {
  const bytes = untrusted;
  if (bytes.length < SIGNED_FIXED_BYTES + MIN_CHAT_SEALED_BODY_BYTES + 2 || bytes.length > MAX_CHAT_BYTES) {
    return undefined;
  }
  if (bytes[0] !== CHAT_TYPE) return undefined;
  const pid = readUintBE(bytes, 1, PID_BYTES);
  if (!isPid(pid)) return undefined;
  const gen = bytes[1 + PID_BYTES] as number;
  const seq = Number(readUintBE(bytes, 2 + PID_BYTES, 4));
  const nonce = bytes.slice(CHAT_HEADER_BYTES, CHAT_HEADER_BYTES + NONCE_BYTES);
  const bodyLength = Number(readUintBE(bytes, CHAT_HEADER_BYTES + NONCE_BYTES, 2));
  if (bodyLength < MIN_CHAT_SEALED_BODY_BYTES || bodyLength > MAX_CHAT_SEALED_BODY_BYTES) return undefined;
  let at = SIGNED_FIXED_BYTES + bodyLength;
  if (at + 2 > bytes.length) return undefined;
  const sealedBody = bytes.slice(SIGNED_FIXED_BYTES, at);
  const macCount = Number(readUintBE(bytes, at, 2));
  at += 2;
  // Exactly the MACs, and nothing after them.
  if (macCount > MAX_OTHERS || bytes.length - at !== macCount * MAC_ENTRY_BYTES) return undefined;
  const macs: ChatMac[] = [];
  const seen = new Set<bigint>([pid]);
  for (let i = 0; i < macCount; i++, at += MAC_ENTRY_BYTES) {
    const recipient = readUintBE(bytes, at, PID_BYTES);
    if (!isPid(recipient) || seen.has(recipient)) return undefined;
    seen.add(recipient);
    macs.push({ pid: recipient, mac: bytes.slice(at + PID_BYTES, at + MAC_ENTRY_BYTES) });
  }
  return { pid, gen, seq, nonce, sealedBody, macs };
}

// ---- keys, the body's seal, the MACs ----------------------------------------------------------------------------------

/**
 * The chat key of a sender generation: HKDF-SHA256 of its base key (the non-extractable HKDF key the call holds, ours
 * or a member's) with the chat label, as a non-extractable AES-128-GCM key.
 */
export function deriveChatKey(senderKey: CryptoKey): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: asBufferSource(CHAT_LABEL) },
    senderKey,
    { name: 'AES-GCM', length: CHAT_KEY_BITS },
    false,
    ['encrypt', 'decrypt'],
  );
}

function aad(chat: Pick<Chat, 'pid' | 'gen' | 'seq'>): Uint8Array<ArrayBuffer> {
  return asBufferSource(concatBytes(CHAT_LABEL, header(chat)));
}

/**
 * Seals a body under a chat key with the given nonce (which must never repeat under that key: the call draws it at
 * random; a fixed one is for the frozen vectors).
 *
 * @throws RangeError for a body {@link encodeChatBody} refuses, or a nonce that is not 12 bytes.
 */
export async function sealChatBody(
  chatKey: CryptoKey,
  chat: Pick<Chat, 'pid' | 'gen' | 'seq'>,
  nonce: Uint8Array,
  body: ChatBody,
): Promise<Uint8Array> {
  if (nonce.length !== NONCE_BYTES) throw new RangeError('CHAT: the nonce must be 12 bytes');
  const plaintext = encodeChatBody(body);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: asBufferSource(nonce), additionalData: aad(chat), tagLength: GCM_TAG_BYTES * 8 },
    chatKey,
    asBufferSource(plaintext),
  );
  return new Uint8Array(sealed);
}

/**
 * A CHAT's body, opened under the sender key of its generation: undefined if the GCM tag fails (another key, altered
 * bytes) or the body does not decode. Never throws.
 */
export async function openChatBody(senderKey: CryptoKey, chat: Chat): Promise<ChatBody | undefined> {
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: asBufferSource(chat.nonce), additionalData: aad(chat), tagLength: GCM_TAG_BYTES * 8 },
      await deriveChatKey(senderKey),
      asBufferSource(chat.sealedBody),
    );
    return decodeChatBody(new Uint8Array(plaintext));
  } catch {
    return undefined;
  }
}

/** HMAC-SHA256(mac key, signed bytes), its first {@link CHAT_MAC_BYTES} bytes. */
export async function chatMac(macKey: CryptoKey, signed: Uint8Array): Promise<Uint8Array> {
  const full = new Uint8Array(await crypto.subtle.sign('HMAC', macKey, asBufferSource(signed)));
  return full.slice(0, CHAT_MAC_BYTES);
}

/**
 * Whether `chat` carries a MAC for `recipient` that verifies under `macKey` (the mac key sender→recipient). The tag is
 * computed again and compared in constant time: WebCrypto's `verify` takes only a full-length HMAC. Never throws.
 */
export async function verifyChatMac(chat: Chat, recipient: bigint, macKey: CryptoKey): Promise<boolean> {
  const entry = chat.macs.find((m) => m.pid === recipient);
  if (entry === undefined) return false;
  try {
    return constantTimeEqual(await chatMac(macKey, signedBytes(chat)), entry.mac);
  } catch {
    return false;
  }
}

/** Who a CHAT is for: a recipient's pid and the mac key sender→recipient. */
export interface ChatRecipient {
  pid: bigint;
  macKey: CryptoKey;
}

/**
 * A whole CHAT plaintext: the body sealed under the chat key of `senderKey` (the sender's generation `gen`, full
 * number or byte: it is sent mod 256) with `nonce`, and a MAC to each recipient.
 *
 * @throws RangeError for anything {@link encodeChat} or {@link sealChatBody} refuses.
 */
export async function writeChat(message: {
  pid: bigint;
  gen: number;
  seq: number;
  body: ChatBody;
  senderKey: CryptoKey;
  nonce: Uint8Array;
  recipients: readonly ChatRecipient[];
}): Promise<Uint8Array> {
  const { pid, seq, nonce, recipients } = message;
  const gen = ((message.gen % 256) + 256) % 256;
  const sealedBody = await sealChatBody(await deriveChatKey(message.senderKey), { pid, gen, seq }, nonce, message.body);
  const signed = signedBytes({ pid, gen, seq, nonce, sealedBody });
  const macs = await Promise.all(recipients.map(async (r) => ({ pid: r.pid, mac: await chatMac(r.macKey, signed) })));
  return encodeChat({ pid, gen, seq, nonce, sealedBody, macs });
}

/**
 * What a CHAT says to `recipient`, whose mac key from the sender is `macKey`, with the sender key of the chat's
 * generation: undefined unless the recipient's MAC verifies and the body opens. Never throws.
 */
export async function readChat(
  chat: Chat,
  recipient: bigint,
  macKey: CryptoKey,
  senderKey: CryptoKey,
): Promise<ChatBody | undefined> {
  if (!(await verifyChatMac(chat, recipient, macKey))) return undefined;
  return openChatBody(senderKey, chat);
}
