/**
 * @module The transform worker's timings and limits, each with its reason. The frame format's numbers (KID layout,
 * tag lengths, suites) are the format's, in src/codecs/format.ts; the bridge's budgets are in src/content.
 */
import type { MediaKind } from '../shared/messages/schema';
import { MAX_KIDS_PER_TRANSFORM } from '../shared/messages/stats';

// --- The worker's rhythm (transform.ts) ---

/** How often counters go to the bridge (and from there to the badge and the UI). */
export const STATS_INTERVAL_MS = 1_000;
/**
 * How long a session outlives its transform. The page script attaches a fresh transform with the same id where the
 * site removed ours (src/page/watch.ts), usually within milliseconds; the session then goes on.
 */
export const SESSION_GRACE_MS = 10_000;

// --- Every session (codec-watch.ts) ---

/** Audio frames between two reads of the codec from the frame's metadata (50 = once a second with Opus). */
export const AUDIO_CODEC_RECHECK = 50;

// --- Receiving (receive-session.ts, remote-kids.ts, keyframe-recovery.ts) ---

/**
 * Receive: consecutive failures after which a recovery asks the sender for a keyframe. (Frames missed on a track that
 * already decrypted, waiting for a new sender id's key, ask at once: see ReceiveSession.process.)
 */
export const FAILURES_BEFORE_KEYFRAME_REQUEST = 3;
/**
 * Receive: how long frames of a sender may wait for their key before they count as undecryptable. Before that they
 * are only dropped: every receiver misses a newcomer's first frames while the call's exchange runs (hellos, a re-key
 * and its switch: well under a second on an idle machine, several on a loaded one; docs/performance.md).
 */
export const KEY_GRACE_MS = 5_000;
/** Remote senders whose waiting for keys one receiver times (oldest forgotten first): an SFU switches few per track. */
export const MAX_WAITING_SENDERS = 16;
/** At most one keyframe request per this many milliseconds. */
export const KEYFRAME_REQUEST_INTERVAL_MS = 1_000;
/** Remote KIDs a receiver keeps counts for: as many as one report may name per transform. */
export const MAX_KIDS_PER_TRACK = MAX_KIDS_PER_TRANSFORM;
/**
 * A receiver believes a KID only once it recurs: plaintext from a participant without Framelock matches the 8 marker
 * bits of our trailer once in 256 frames, and then carries a random KID (random epoch bits, random sender id) that
 * never comes back. A real sender repeats its KID on every frame of an epoch.
 */
export const SIGHTINGS_TO_BELIEVE_KID = 2;
/** Key-less KIDs whose sightings a receiver remembers (oldest forgotten first). */
export const MAX_KID_SIGHTINGS = 32;

// --- Keys (keyring.ts) ---

/** How long a KID the bridge did not answer for stays refused before we ask again. */
export const REQUEST_RETRY_MS = 2_000;
/**
 * A key whose sender proved nothing (no frame authenticated under any of its KIDs) is dropped this long after it came.
 * A real sender's next frame authenticates within a frame interval (20-33 ms) of its key; 5 s leaves room for a
 * loaded machine, and keeps at most a few seconds of a flood's junk keys.
 */
export const UNPROVEN_KEY_TTL_MS = 5_000;
/**
 * Keys of unproven senders one transform may hold; the oldest is dropped first. A receiver meets one new sender at a
 * time (a newcomer, a rollover, an SFU switch); 4 leaves room for a few at once, and the bridge grants a flooded
 * track no more than 8 at once and one per 3 s after (src/content/key-quota.ts).
 */
export const MAX_UNPROVEN_KEYS_PER_ENDPOINT = 4;
/** Proven sender ids remembered (least recently proven forgotten first): 16 per receiver for 64 receivers. */
export const MAX_PROVEN_SENDERS = 1_024;
/**
 * A KID asked for and not asked for again this long is forgotten (its sender stopped): the request bookkeeping must
 * not grow with every junk KID of a flood. Frames of a KID still arriving ask again every {@link REQUEST_RETRY_MS}.
 */
export const FORGET_REQUEST_MS = 10_000;
/** At most this many KIDs waiting for keys per kind, oldest forgotten first (a hard bound under any flood). */
export const MAX_OUTSTANDING_REQUESTS = 1_024;
/**
 * Refusals remembered per kind, oldest forgotten first: a flood of refused junk KIDs must not grow the map, and a
 * forgotten refusal only means that KID is asked for again.
 */
export const MAX_REFUSALS = 256;

// --- Transforms put back (feed.ts) ---

/** Starved this long, a transform asks to be renewed; each later request waits twice as long. */
export const STARVED_AFTER_MS = 1_000;
/** Requests in a row with no frame in between, at most (after 1 + 2 + 4 + 8 + 16 s, a sender that sends nothing is let be). */
export const MAX_RENEWALS = 5;

// --- The in-band control channel (control-outbox.ts, control-inbox.ts; docs/keys.md) ---

/**
 * Chunk payload per frame, by the kind of the stream that carries it. A message is split at these sizes, the same way
 * on every stream of a kind, so a receiver moved between simulcast layers mid-message still joins the chunks.
 * - video 240: near the region's 255-byte maximum. A video frame is split over RTP packets anyway, so a bigger chunk
 *   costs only its bytes; 240 carry a hello (72 sealed bytes) with five wraps (30 each): a STATE of a call of six in one frame.
 * - audio 120: an audio frame must fit one RTP packet, and Opus frames are often 60-160 bytes, so half of video's;
 *   120 still carry a STATE with one wrap.
 */
export const CONTROL_CHUNK_BYTES: Readonly<Record<MediaKind, number>> = { video: 240, audio: 120 };
/**
 * An audio frame longer than this carries no chunk: with a region (up to 124 bytes), the SFrame header, tag and
 * trailer it would outgrow one RTP packet (about 1,200 bytes of payload), and an audio frame must fit one.
 */
export const CONTROL_AUDIO_FRAME_MAX_BYTES = 1_000;
/**
 * The largest control message, sent or reassembled. A STATE is 72 sealed bytes, 30 per wrap and 6 per wanted pid:
 * 16 KiB hold the wraps of a call of 500. It is 69 video or 137 audio chunks, within the 256 a message can have.
 */
export const CONTROL_MESSAGE_MAX_BYTES = 16 * 1_024;
/**
 * A sending stream (one RTP stream: a transform's SSRC) that carried no frame this long no longer holds messages back
 * (a simulcast layer turned off, a track stopped), and is forgotten. Longer than the gaps of a stream still sending:
 * Opus in DTX sends a frame every 400 ms.
 */
export const CONTROL_STREAM_IDLE_MS = 2_000;
/**
 * Messages waiting to go out, at most; past that the oldest is dropped and reported as dropped, not as sent. A STATE
 * says everything its sender knows, so the newer ones in the queue supersede it; a handful is the usual queue.
 */
export const MAX_CONTROL_QUEUE = 32;
/**
 * A message in reassembly that got no new chunk for this long is dropped: its stream moved on without the missing
 * chunks (a lost frame, a layer switch), and the sender's next STATE will say it again. Counted from the last new
 * chunk, not the first, so a long message on a slow layer is not cut off; 10 s are far more than the gap between two
 * frames of a stream that still sends.
 */
export const CONTROL_ASSEMBLY_TIMEOUT_MS = 10_000;
/**
 * Messages in reassembly per receiver, at most (oldest started dropped first). One sender's stream carries one message
 * at a time; 8 leave room for a layer switch and a few senders on one track, and bound a flood to 8 x 16 KiB.
 */
export const MAX_CONTROL_ASSEMBLIES = 8;
/**
 * A message delivered is not delivered again for this long when its chunks come again: the same message on another
 * simulcast layer after a switch, or on another stream a moment later. Longer than a message takes on any stream.
 */
export const CONTROL_DELIVERED_MEMORY_MS = 30_000;
/** Deliveries remembered per receiver for that, at most (oldest forgotten first). */
export const MAX_CONTROL_DELIVERED = 64;
