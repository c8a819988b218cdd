/**
 * @module Labels, sizes and limits of protecting the site's own RTCDataChannel messages (issue 16 part 2;
 * docs/frame-format.md §2.8), each with the reason for its value. The labels, types, marker, prefix, attribute and
 * sizes are protocol: two participants must agree on them, and a change needs a new version and new frozen vectors
 * (test/vectors/framelock-data.json). The limits are each receiver's own bounds on untrusted input.
 */
import { GCM_TAG_BYTES, PUBLIC_KEY_BYTES, SEALED_HEADER_BYTES } from '../exchange/constants';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---- protocol: labels and types -------------------------------------------------------------------------------------

/**
 * HKDF info prefix of a protected connection's direction keys (`label ‖ pub_offerer ‖ pub_answerer`), and the start of
 * every envelope's AAD. Its own label: the X25519 secret of a connection must give keys no other part of Framelock
 * derives (the exchange's KEKs use "Framelock v4 wrap" over other key pairs, but a label per use costs nothing).
 */
export const DATA_LABEL = utf8('Framelock v4 data');
/**
 * HKDF info of an epoch's text key (from the epoch base key, as the control key is), and the start of a sealed text's
 * AAD. Its own label: the text key and the control key come from one base key and must never be the same key.
 */
export const TEXT_LABEL = utf8('Framelock v4 text');
/**
 * The first plaintext byte of a HELLO, inside the control seal. The control seal also carries the exchange's STATE
 * (0x01) and CHAT (0x02): a distinct type keeps a sealed HELLO lifted from an SDP from ever reading as one of them in
 * the media's control channel, and the other way round.
 */
export const HELLO_TYPE = 0x03;
/**
 * The first plaintext byte of a sealed TEXT. It is sealed under the text key, not the control key; the type byte still
 * keeps every plaintext Framelock seals under an epoch's keys distinct.
 */
export const TEXT_TYPE = 0x04;
/**
 * The first byte of every envelope: "F1", envelope version 1. Not ASCII, so a site's own JSON or text sent as binary
 * (the usual mistake of a peer without Framelock) is told apart before any decryption.
 */
export const ENVELOPE_MARKER = 0xf1;
/**
 * Envelope flags, bit 0: the page sent a string (deliver a string), else bytes. Bit 1: a control message of
 * Framelock's own ({@link CONTROL_CONFIRM}), never delivered to the page. At most one of them; the other bits zero.
 */
export const FLAG_STRING = 0x01;
export const FLAG_CONTROL = 0x02;
/**
 * The one control message: "this end seals this connection". The offerer sends it on each channel as it opens; the
 * answerer holds its decision until it sees it (or a clear message, or nothing within the page script's deadline),
 * so that an answer line lost on its way to the offerer leaves both ends unprotected, never one (docs/frame-format.md
 * §2.8). Its plaintext is this one byte.
 */
export const CONTROL_CONFIRM = 0x01;
/** What a sealed text field starts with: readable to a participant without Framelock, who then sees what it is. */
export const TEXT_PREFIX = '🔒 Framelock: ';
/**
 * The ASCII part of {@link TEXT_PREFIX}: what a received string must contain to be worth opening. A server may send
 * the lock as a JSON escape (`\ud83d\udd12`), never these characters.
 */
export const TEXT_MARKER = 'Framelock: ';

// ---- protocol: the SDP line ---------------------------------------------------------------------------------------------

/**
 * The session-level SDP attribute that carries a sealed HELLO: `a=x-framelock:1 <base64url>`. The `x-` prefix marks an
 * unregistered attribute, and endpoints ignore attributes they do not know (RFC 8866 §5.13), so a peer without
 * Framelock accepts the description as it is.
 */
export const SDP_ATTRIBUTE = 'x-framelock';
/** The line's version: the first token of its value. A receiver ignores a line of a version it does not know. */
export const DATA_VERSION = 1;

// ---- protocol: sizes ------------------------------------------------------------------------------------------------

/** A HELLO's plaintext: type, the connection's X25519 public key (RFC 7748 §5), role. */
export const HELLO_BYTES = 1 + PUBLIC_KEY_BYTES + 1;
/** A sealed HELLO: the control seal's header, the HELLO and the GCM tag (63 bytes, 84 base64url characters). */
export const SEALED_HELLO_BYTES = SEALED_HEADER_BYTES + HELLO_BYTES + GCM_TAG_BYTES;
/** Role bytes of a HELLO: who made the description it came in. */
export const ROLE_OFFERER = 0;
export const ROLE_ANSWERER = 1;
/** A direction key: AES-128-GCM, as the media's and the control key. */
export const DATA_KEY_BYTES = 16;
/** HKDF output of a connection: one direction key each way, offerer→answerer first. */
export const DATA_KEYS_BYTES = 2 * DATA_KEY_BYTES;
/** Bytes of an envelope's counter: one per message and direction, never repeated under a key (the GCM nonce's tail). */
export const COUNTER_BYTES = 8;
/**
 * An envelope's header: marker, flags, stream id (2), counter. All of it is authenticated (the AAD), so a flipped flag
 * cannot turn bytes into a string, and a message moved to another stream is told apart before decryption.
 */
export const ENVELOPE_HEADER_BYTES = 1 + 1 + 2 + COUNTER_BYTES;
/** What an envelope adds to a message: the header and the GCM tag (28 bytes). */
export const ENVELOPE_OVERHEAD_BYTES = ENVELOPE_HEADER_BYTES + GCM_TAG_BYTES;
/** The GCM nonce of an envelope: 4 zero bytes and the counter (NIST SP 800-38D §8.2.1, a deterministic nonce). */
export const ENVELOPE_NONCE_ZERO_BYTES = 4;
/** Stream ids are SCTP stream identifiers: 16 bits (RFC 8831 §6.5), the channel's `id` at both ends. */
export const MAX_STREAM_ID = 0xffff;
/** The largest counter a sender uses: 2^53 - 1 keeps counters exact in a Number (2^53 messages never happen). */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

// ---- limits ---------------------------------------------------------------------------------------------------------

/**
 * Counters remembered per stream and direction: a message that comes this many counters behind the newest accepted on
 * its stream is refused. Reliable ordered channels never reorder; an unordered one would need 4,096 messages to
 * overtake one, far past any real reordering. A power of two, as src/sframe/replay.ts needs.
 */
export const DATA_REPLAY_WINDOW = 4_096;
/**
 * The largest envelope, sealed: Chromium's data-channel message limit (`RTCSctpTransport.maxMessageSize`, 256 KiB).
 * A larger one could not have been sent by Chromium; it is refused before any decryption.
 */
export const MAX_ENVELOPE_BYTES = 256 * 1024;
/** The largest message a page may send on a protected connection: what still fits {@link MAX_ENVELOPE_BYTES} sealed. */
export const MAX_DATA_PLAINTEXT_BYTES = MAX_ENVELOPE_BYTES - ENVELOPE_OVERHEAD_BYTES;
/**
 * The longest text field a profile seals or opens: 64 KiB of UTF-8. Sealed and in base64url it is about 87 KiB, so a
 * JSON request around it still fits Chromium's 256 KiB message; a chat text is far shorter.
 */
export const MAX_TEXT_BYTES = 64 * 1024;
/** A sealed text at its largest: the seal's header, the type byte, the text and the tag. */
export const MAX_SEALED_TEXT_BYTES = SEALED_HEADER_BYTES + 1 + MAX_TEXT_BYTES + GCM_TAG_BYTES;
/**
 * The longest JSON message a profile looks at (UTF-16 code units): a message longer than Chromium's limit in bytes
 * cannot have been sent, and every code unit is at least one byte of UTF-8.
 */
export const MAX_PROFILED_MESSAGE_CHARS = MAX_ENVELOPE_BYTES;
/**
 * The longest SDP read or written: 1 MiB, many times a description with a hundred media sections. A longer one is not
 * looked at (no line, so the connection is not protected), which bounds the work an untrusted description causes.
 */
export const MAX_SDP_CHARS = 1024 * 1024;
/**
 * The longest line value (base64url characters) read: a sealed HELLO is 84; 256 leaves room for a later version
 * and matches what the page script inserts (src/page/data-sdp.ts).
 */
export const MAX_LINE_VALUE_CHARS = 256;

// ---- limits of the bridge's data service (service.ts) ---------------------------------------------------------------

/**
 * Connections one frame's service keeps state for (key pair, keys, counts). A call page has a handful; a page that makes
 * more (or a site that churns connections) has its least recently used one forgotten, so memory stays bounded.
 */
export const MAX_DATA_CONNECTIONS = 64;
/** Channels counted per connection for the status report: the rest still work, they are just not listed. */
export const MAX_COUNTED_CHANNELS = 64;
/** Channels one report lists: what the popup can show, and what one message to the background carries. */
export const MAX_REPORTED_CHANNELS = 64;
/**
 * Connections remembered as closed or forgotten while protected: traffic the page still sends on one is dropped, never
 * sent in clear. Ids only (8 bytes each); the oldest go first.
 */
export const MAX_RETIRED_CONNECTIONS = 1_024;
/** The page script numbers its connections 0, 1, 2, …: a larger or non-integer id is not the page script's. */
export const MAX_CONNECTION_ID = 2 ** 31 - 1;
/** The longest channel label reported (UTF-16 code units): the popup shows a name, not the site's payload. */
export const MAX_LABEL_CHARS = 128;
