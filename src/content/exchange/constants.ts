/**
 * @module Timings and limits of the key exchange and the call's chat (docs/keys.md, protocol v4), each with the reason
 * for its value. The labels and sizes that two participants must agree on are protocol: a change needs a new protocol
 * version and new frozen vectors (test/vectors/framelock-exchange.json, framelock-chat.json). The timings are each
 * participant's own choice, within what the others expect (a peer that hellos less often than {@link LEAVE_AFTER_MS}
 * allows is dropped).
 */

// ---- protocol: labels and sizes -------------------------------------------------------------------------------------

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** HKDF info of the control key of an epoch, and the start of every sealed message's AAD. */
export const CONTROL_LABEL = utf8('Framelock v4 control');
/** HKDF info prefix of a key-encryption key: `label ‖ pub_S ‖ pub_R` (sender's public key first). */
export const WRAP_LABEL = utf8('Framelock v4 wrap');
/** SHA-256 prefix of the per-call words. */
export const CALL_WORDS_LABEL = utf8('Framelock v4 call words');
/** SHA-256 prefix of a participant's fingerprint. */
export const PARTICIPANT_LABEL = utf8('Framelock v4 participant');

/** Participant ids are 44 bits (the KID's pid field): sent in 6 bytes whose top 4 bits are zero. */
export const PID_BITS = 44;
export const PID_BYTES = 6;
/** Largest participant id. */
export const MAX_PID = (1n << BigInt(PID_BITS)) - 1n;
/** An X25519 public key, raw (RFC 7748 §5). */
export const PUBLIC_KEY_BYTES = 32;
/** A sender key: 16 random bytes, the RFC 9605 `base_key` of the AES-128 suites. */
export const SENDER_KEY_BYTES = 16;
/** AES-KW of a 16-byte key: the key plus RFC 3394's 8-byte integrity check value. */
export const WRAPPED_KEY_BYTES = SENDER_KEY_BYTES + 8;
/** A control key and a key-encryption key: AES-128. */
export const CONTROL_KEY_BITS = 128;
export const KEK_BITS = 128;
/** AES-GCM nonce of a sealed message: 96 random bits (NIST SP 800-38D §8.2.2), one per message. */
export const NONCE_BYTES = 12;
/** AES-GCM tag: the full 128 bits (messages are few; no reason to shorten it). */
export const GCM_TAG_BYTES = 16;
/** The sealed message's header: the epoch byte and the nonce. */
export const SEALED_HEADER_BYTES = 1 + NONCE_BYTES;
/** Epochs are sent mod 256; the receiver maps the byte into its window of three (src/shared/epoch.ts). */
export const EPOCH_BYTE_MODULUS = 256;
/** The first plaintext byte of a STATE message (the key exchange: messages.ts). */
export const STATE_TYPE = 0x01;
/** The first plaintext byte of a CHAT message (the call's chat: chat.ts), inside the same seal as a STATE. */
export const CHAT_TYPE = 0x02;
/** Generations are sent mod 256 (one byte); a receiver keeps full numbers by their distance from the last one seen. */
export const GEN_BYTE_MODULUS = 256;
/** KIDs carry a generation mod 16 (docs/keys.md, "The KID"). */
export const GEN_BITS_MODULUS = 16;
/** Words of the per-call check: 5 × 11 = 55 bits, as the room's safety words. */
export const CALL_WORD_COUNT = 5;
/** Words of a participant's fingerprint: 22 bits, enough to tell the people of one call apart, short to read. */
export const FINGERPRINT_WORD_COUNT = 2;
/** Bytes of the room tag from the background (HKDF of the room key, "Framelock v4 room tag"). */
export const ROOM_TAG_BYTES = 16;

// ---- protocol: the call's chat (CHAT, docs/keys.md "Chat messages") -------------------------------------------------

/**
 * HKDF info of a chat key (from a sender generation's base key), and the start of a chat body's AAD. Its own label:
 * the chat key and the RFC 9605 frame keys come from one base key, and must never be the same key.
 */
export const CHAT_LABEL = utf8('Framelock v4 chat');
/** A chat key: AES-128-GCM, as the media's and the control key. */
export const CHAT_KEY_BITS = 128;
/**
 * HKDF info prefix of a pairwise chat MAC key: `label ‖ pub_S ‖ pub_R`, over the same X25519 secret as the KEK. Its own
 * label keeps it independent of the KEK (one secret, two keys), and the sender's key first makes S→R and R→S differ.
 */
export const CHAT_MAC_LABEL = utf8('Framelock v4 chat mac');
/** A chat MAC key: 256 bits, HMAC-SHA256's output length (RFC 2104 §3: no shorter than that). */
export const CHAT_MAC_KEY_BITS = 256;
/**
 * The most text one message carries: UTF-8 bytes. Twice the 2 KB the product promises, and at the largest call the
 * sealed message still fits the worker's 16 KiB with room (see {@link MAX_SEALED_BYTES}). Longer text is split by the
 * person who writes it (the UI says so), never by us: a message is shown whole or not at all.
 */
export const MAX_CHAT_TEXT_BYTES = 4_096;
/** The sender's display name (its own claim, shown beside its verified fingerprint): UTF-8 bytes, one length byte. */
export const MAX_CHAT_NAME_BYTES = 64;
/**
 * A chat MAC: HMAC-SHA256 cut to 128 bits (RFC 2104 §5: at least half the hash's output). One per recipient, so
 * its bytes count at 255 recipients; a forger has one try per message, at 2^-128.
 */
export const CHAT_MAC_BYTES = 16;
/** A chat's header, the chat body's AAD after the label: type, pid, gen mod 256, seq (4 bytes). */
export const CHAT_HEADER_BYTES = 1 + PID_BYTES + 1 + 4;
/** Chat seqs are 4 bytes: a call would need years at the worker's pace to use them up. */
export const MAX_CHAT_SEQ = 2 ** 32 - 1;
/** The plaintext body's fixed part: sent-at (8 bytes, ms since the Unix epoch) and the name's length byte. */
export const CHAT_BODY_FIXED_BYTES = 8 + 1;
/** The sealed body at its smallest (no name, one byte of text) and largest, GCM tag included. */
export const MIN_CHAT_SEALED_BODY_BYTES = CHAT_BODY_FIXED_BYTES + 1 + GCM_TAG_BYTES;
export const MAX_CHAT_SEALED_BODY_BYTES =
  CHAT_BODY_FIXED_BYTES + MAX_CHAT_NAME_BYTES + MAX_CHAT_TEXT_BYTES + GCM_TAG_BYTES;

// ---- limits ---------------------------------------------------------------------------------------------------------

/**
 * Participants in one call, ourselves included. 256 keeps a STATE's want list within its one-byte count and its
 * largest form ({@link MAX_STATE_BYTES}, about 9 KB) well under the worker's 16 KiB per message; beyond it a STATE from
 * a new participant is refused (counted), and that participant gets no key from us.
 */
export const MAX_MEMBERS = 256;
/** Others in the call: every list in a STATE (want, wraps) names at most this many. */
export const MAX_OTHERS = MAX_MEMBERS - 1;
/** A STATE at its largest: header, {@link MAX_OTHERS} wants and {@link MAX_OTHERS} wraps. */
export const MAX_STATE_BYTES =
  1 + PID_BYTES + PUBLIC_KEY_BYTES + 1 + 1 + MAX_OTHERS * PID_BYTES + 2 + MAX_OTHERS * (PID_BYTES + WRAPPED_KEY_BYTES);
/**
 * A CHAT at its largest: header, nonce, body length, the largest sealed body, and a MAC to each of {@link MAX_OTHERS}
 * recipients (about 9.8 KB: the largest message of the exchange).
 */
export const MAX_CHAT_BYTES =
  CHAT_HEADER_BYTES + NONCE_BYTES + 2 + MAX_CHAT_SEALED_BODY_BYTES + 2 + MAX_OTHERS * (PID_BYTES + CHAT_MAC_BYTES);
/**
 * A sealed message at its largest: the larger of a STATE and a CHAT, sealed. Anything longer is refused before any
 * decryption. It must stay within {@link WORKER_MESSAGE_LIMIT} (a test asserts it).
 */
export const MAX_SEALED_BYTES = SEALED_HEADER_BYTES + Math.max(MAX_STATE_BYTES, MAX_CHAT_BYTES) + GCM_TAG_BYTES;
/** The worker's bound on one reassembled message (docs/keys.md, "The exchange (in-band)"). */
export const WORKER_MESSAGE_LIMIT = 16 * 1024;
/**
 * Generations of one sender whose keys we hold: the two latest (the one it sends under and the next), plus those
 * still in their grace ({@link OLD_KEY_GRACE_MS}). Beyond this the oldest goes at once: a sender re-keying faster than
 * the grace loses a few late frames rather than making us hold keys without bound.
 */
export const MAX_HELD_GENERATIONS = 4;
/** Sender generations the worker says it lacks a key for (`Call.want`); the oldest is forgotten first. */
export const MAX_WANTS = 64;
/**
 * Recent message nonces remembered to drop copies: every message comes once per stream that carried it (audio,
 * video, each simulcast layer), so one STATE reaches us several times. 4,096 covers a full call's hellos for several
 * seconds; an older copy that slips through is harmless (every step of receiving is idempotent).
 */
export const MAX_SEEN_NONCES = 4_096;
/** Received messages waiting for the ones before them to be handled; beyond this new ones are dropped (counted). */
export const MAX_QUEUED_MESSAGES = 256;

// ---- timings --------------------------------------------------------------------------------------------------------

/**
 * How often the bridge calls `tick`: the resolution of every timing below. Every wait of the exchange (the re-key
 * debounce, the switch margin) is rounded up to it, and a newcomer's media waits for two of them: 50 ms keeps that
 * small. A tick with nothing due touches a few maps.
 */
export const TICK_MS = 50;
/** Every participant sends a STATE at least this often (a hello, when nothing else went): its proof of presence. */
export const HELLO_INTERVAL_MS = 2_000;
/** A member silent this long (three missed hellos: one loss or a late frame never removes anyone) has left. */
export const LEAVE_AFTER_MS = 3 * HELLO_INTERVAL_MS;
/**
 * The soonest a hello goes out again when frames of a stranger (a pid that is no member) arrive: an SFU subscribes
 * two participants to each other at any moment, each after the other's last STATE went by, and neither would learn of
 * the other before the next interval. Bounded, so junk KIDs cost at most one hello (~80 bytes) per 300 ms.
 */
export const STRANGER_HELLO_MS = 300;
/**
 * A join or a leave re-keys this long after the first one seen, not at once: participants joining together (a call
 * starting, a page reloading) cost one generation, not one each. It is not extended by later joins, so a stream of
 * joins cannot postpone a re-key forever.
 */
export const REKEY_DEBOUNCE_MS = 200;
/**
 * A new generation at least this often, whatever happens (≤ 10 minutes, docs/keys.md). Five minutes bounds
 * what a sender key read out of a live renderer exposes to half an epoch, at the cost of one STATE per participant
 * per five minutes (≤ 9 KB even at {@link MAX_MEMBERS}). It runs on each participant's own clock from its last
 * re-key, so rotations are spread out and have nothing to do with epoch boundaries.
 */
export const PROTOCOL_REKEY_INTERVAL_MS = 5 * 60_000;

declare const __FRAMELOCK_REKEY_INTERVAL_MS__: number | undefined;

/** The interval this build uses: {@link PROTOCOL_REKEY_INTERVAL_MS}, except in the rotation test build (vite.config.ts). */
export const REKEY_INTERVAL_MS: number =
  typeof __FRAMELOCK_REKEY_INTERVAL_MS__ === 'number' && __FRAMELOCK_REKEY_INTERVAL_MS__ > 0
    ? __FRAMELOCK_REKEY_INTERVAL_MS__
    : PROTOCOL_REKEY_INTERVAL_MS;
/**
 * A sender switches to a new generation this long after the worker reported its STATE carried on every stream:
 * receivers reassemble, unwrap and derive frame keys in that time (a few ms of WebCrypto each), so its first frame
 * finds the key there.
 */
export const SWITCH_MARGIN_MS = 150;
/**
 * A sender switches anyway this long after handing the STATE to the worker if the worker never confirms it (no stream
 * sends frames, or the worker restarted). The largest STATE takes ~1.3 s to carry on an audio-only stream (120-byte
 * chunks at 50 frames a second); 3 s covers it. A receiver that misses the switch recovers through `want`.
 */
export const SWITCH_TIMEOUT_MS = 3_000;
/**
 * A receiver that sees frames of a member's generation it has no key for, for this long, asks (`want`). A sender
 * switches only once its STATE went out on every stream and SWITCH_MARGIN_MS passed, so a key still in flight when
 * its frames come is rare; asking too early costs one small re-send, asking late leaves the sender's media dark.
 */
export const WANT_AFTER_MS = 300;
/**
 * Strangers (pids whose frames come but whose STATE we never opened) named in one STATE's `want`, the most recently
 * seen: enough for several people joining at once, and a flood of junk KIDs adds at most 4 × 6 bytes to a hello.
 */
export const MAX_STRANGER_WANTS = 4;
/** Strangers' wants kept at most (the most recent): a flood of junk pids rotates through these, never members'. */
export const MAX_STRANGER_ENTRIES = 8;
/** A want the worker stopped reporting for this long is over (the sender switched, or left). */
export const WANT_FORGET_MS = 3 * WANT_AFTER_MS;
/**
 * A replaced generation's keys (our own and received) are dropped this long after the switch: frames sealed under
 * it just before the switch may still be in a jitter buffer or on a slower stream (audio vs. video).
 */
export const OLD_KEY_GRACE_MS = 3_000;

// ---- timings and bounds of the chat -----------------------------------------------------------------------------------

/**
 * Each chat message goes to the worker a second time, byte-identical, this long after the worker reported the first
 * copy carried on every stream (`Call.sent`): a receiver that lost a chunk of the first copy (one lost audio frame
 * loses the message) gets it whole. Once only: two losses of one message are rare, and a repeat costs its full size on
 * every stream. Receivers that got the first copy drop the repeat by its nonce. 2 s: past the jitter of one lost
 * frame, soon enough to read as one conversation.
 */
export const CHAT_REPEAT_MS = 2_000;
/**
 * Chat messages (first copies) handed to the worker and not yet reported carried: a fifth send answers `busy`. The
 * worker's outbox holds 32 messages and drops the oldest when full; chat must never push a re-key's STATE out of it,
 * and four messages of up to ~10 KB are already seconds of chunks on an audio-only stream.
 */
export const MAX_CHATS_IN_FLIGHT = 4;
/**
 * Our messages reported carried and waiting for their repeat ({@link CHAT_REPEAT_MS}), at most: sends past it answer
 * `busy` too. Small messages on a fast video stream are carried in tens of ms, so flow control alone would let a script
 * queue dozens of repeats in 2 s; a person typing never reaches 16.
 */
export const MAX_CHAT_REPEATS_WAITING = 16;
/**
 * A first copy the worker never reports carried stops holding its place after this: the worker drops messages from
 * a full outbox without telling us, and restarts with an empty one. Ten seconds carry a full outbox's chat on an
 * audio-only stream (4 × ~80 chunks at 50 frames a second, plus STATEs); such a message gets no repeat.
 */
export const CHAT_SENT_TIMEOUT_MS = 10_000;
/**
 * A received chat whose sender generation's key we do not hold yet (its STATE was lost, or comes on a slower stream)
 * is kept this long and opened when the key comes. A lost wrap comes back through `want` once the sender's frames use
 * that generation: its switch (at most {@link SWITCH_TIMEOUT_MS}), {@link WANT_AFTER_MS}, and a re-send fit in 5 s.
 * Past it the message is dropped (counted refused): nothing unreadable lingers.
 */
export const CHAT_PENDING_MS = 5_000;
/**
 * Such waiting chats, at most (each already passed its sender's MAC): beyond this a new one is refused (counted), so a
 * member flooding chats under a generation it never gave us cannot make us hold memory without bound.
 */
export const MAX_PENDING_CHATS = 16;

/**
 * A distance of messages sealed outside our epoch window is believed when it comes twice within this long: a clock
 * off by more than the tolerance shows in every hello (2 s apart); a stray junk chunk does not recur with one value.
 */
export const SKEW_MEMORY_MS = 30_000;
/** Distinct far-epoch distances remembered (oldest forgotten first). */
export const MAX_FAR_EPOCHS = 8;
