/**
 * @module The receiving side of the in-band control channel (docs/keys.md, "The exchange (in-band)"):
 * one per receiver transform. It joins the chunks of each sender's messages and hands every complete message to the
 * bridge once; the bridge opens the message's seal, so nothing here trusts a byte.
 *
 * - Messages are keyed by (sender pid from the frame's KID, msg id). A message is complete when it holds every chunk
 *   0..last, and is the chunks' payloads in index order. Chunks may come in any order and from any stream of the
 *   sender of one kind (they are cut the same on each: control-outbox.ts), so a switch of simulcast layer mid-message
 *   loses nothing the new layer still carries.
 * - A chunk that disagrees with the message being joined (another `last`, or other bytes for a chunk already held)
 *   starts that message again from the chunk: it belongs to a newer message that reused the msg id, or to junk. A mix
 *   it cannot tell (chunks of two messages that agree so far) is refused by the message's seal in the bridge.
 * - A complete message equal to one delivered within {@link CONTROL_DELIVERED_MEMORY_MS} (the same sender, msg id and
 *   bytes: the same message again on another layer) is not delivered again.
 * - Bounds: {@link CONTROL_MESSAGE_MAX_BYTES} per message, {@link MAX_CONTROL_ASSEMBLIES} messages in reassembly (the
 *   one started longest ago dropped first), each dropped after {@link CONTROL_ASSEMBLY_TIMEOUT_MS} without a new chunk,
 *   and {@link MAX_CONTROL_DELIVERED} deliveries remembered.
 *
 * `take` never throws on the bytes it is given (only the delivery callback, which is ours, could).
 */
import { dropOldest } from '../shared/collections';
import {
  CONTROL_ASSEMBLY_TIMEOUT_MS,
  CONTROL_DELIVERED_MEMORY_MS,
  CONTROL_MESSAGE_MAX_BYTES,
  MAX_CONTROL_ASSEMBLIES,
  MAX_CONTROL_DELIVERED,
} from './constants';
import { decodeRegion } from './control-region';

/**
 * What became of one region, for the caller's counters:
 * - `malformed`: not a region (control-region.ts); ignored.
 * - `held`: kept (or already held); its message is not complete yet.
 * - `restarted`: it disagreed with the message being joined, which starts again from it.
 * - `delivered`: it completed a message, handed to the callback.
 * - `duplicate`: it completed a message delivered lately; not handed on again.
 * - `too_large`: its message grew past {@link CONTROL_MESSAGE_MAX_BYTES}, and was dropped.
 */
export type TakeResult = 'malformed' | 'held' | 'restarted' | 'delivered' | 'duplicate' | 'too_large';

interface Assembly {
  readonly last: number;
  /** Payloads by index. */
  readonly chunks: (Uint8Array | undefined)[];
  /** Chunks held, and their bytes. */
  held: number;
  bytes: number;
  /** When the last new chunk came. */
  progress: number;
}

/**
 * 32-bit FNV-1a: tells a message delivered before from a newer one under the same sender and msg id. It need not
 * resist forgery: a sealed message has a random nonce, so nobody can make a message collide with one not yet sent,
 * and colliding with one already delivered only suppresses a copy of it.
 */
function fingerprint(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function join(chunks: readonly (Uint8Array | undefined)[], length: number): Uint8Array {
  const message = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    if (chunk === undefined) continue; // not when complete
    message.set(chunk, offset);
    offset += chunk.length;
  }
  return message;
}

export class ControlInbox {
  readonly #onMessage: (bytes: Uint8Array) => void;
  readonly #now: () => number;
  /** By `${sender}:${msgId}`, the one started longest ago first. */
  readonly #assemblies = new Map<string, Assembly>();
  /** `${sender}:${msgId}:${length}:${fingerprint}` of the messages delivered, with when; oldest first. */
  readonly #delivered = new Map<string, number>();

  constructor(onMessage: (bytes: Uint8Array) => void, now: () => number = () => Date.now()) {
    this.#onMessage = onMessage;
    this.#now = now;
  }

  /** Messages in reassembly now. */
  get assembling(): number {
    return this.#assemblies.size;
  }

  /** Takes the control region of a frame from `sender` (the participant id in the frame's KID). Never throws. */
  take(sender: bigint, region: Uint8Array): TakeResult {
    const chunk = decodeRegion(region);
    if (chunk === undefined) return 'malformed';
    const now = this.#now();
    this.#expire(now);
    const key = `${sender}:${chunk.msgId}`;
    let assembly = this.#assemblies.get(key);
    let result: TakeResult = 'held';
    if (assembly !== undefined) {
      const held = assembly.chunks[chunk.index];
      if (assembly.last !== chunk.last || (held !== undefined && !equalBytes(held, chunk.payload))) {
        this.#assemblies.delete(key);
        assembly = undefined;
        result = 'restarted';
      } else if (held !== undefined) {
        return 'held'; // the same chunk again, from another layer: nothing new
      }
    }
    if (assembly === undefined) {
      assembly = { last: chunk.last, chunks: new Array(chunk.last + 1), held: 0, bytes: 0, progress: now };
      this.#assemblies.set(key, assembly);
      if (this.#assemblies.size > MAX_CONTROL_ASSEMBLIES) dropOldest(this.#assemblies);
    }
    assembly.chunks[chunk.index] = chunk.payload;
    assembly.held++;
    assembly.bytes += chunk.payload.length;
    assembly.progress = now;
    if (assembly.bytes > CONTROL_MESSAGE_MAX_BYTES) {
      this.#assemblies.delete(key);
      return 'too_large';
    }
    if (assembly.held <= assembly.last) return result;
    this.#assemblies.delete(key);
    const message = join(assembly.chunks, assembly.bytes);
    const seen = `${key}:${message.length}:${fingerprint(message)}`;
    if (this.#delivered.has(seen)) return 'duplicate';
    this.#delivered.set(seen, now);
    if (this.#delivered.size > MAX_CONTROL_DELIVERED) dropOldest(this.#delivered);
    this.#onMessage(message);
    return 'delivered';
  }

  /** Drops messages that got no new chunk lately, and forgets old deliveries. */
  #expire(now: number): void {
    for (const [key, assembly] of this.#assemblies) {
      if (now - assembly.progress > CONTROL_ASSEMBLY_TIMEOUT_MS) this.#assemblies.delete(key);
    }
    // Delivered in time order: the expired ones are at the front.
    for (const [key, at] of this.#delivered) {
      if (now - at <= CONTROL_DELIVERED_MEMORY_MS) break;
      this.#delivered.delete(key);
    }
  }
}
