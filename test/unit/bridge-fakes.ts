/**
 * A content bridge (src/content/start-bridge.ts) on fakes: a plain `EventTarget` for the frame's window, fake message
 * ports for the worker and the page script's reports, a fake runtime port for the background and a fake indicator.
 * Time is vitest's fake timers (setImmediate stays real: {@link settle} uses it to let WebCrypto finish).
 */
import { vi } from 'vitest';
import { makeKid, SUITE_FOR_KIND, senderIdOf } from '../../src/codecs';
import type { RuntimePort } from '../../src/content/background-link';
import type { BridgeIndicator } from '../../src/content/indicator';
import { startBridge } from '../../src/content/start-bridge';
import { type FrameKeys, SFrameContext } from '../../src/sframe';
import { bytesToBase64 } from '../../src/shared/bytes';
import { EPOCH_MS, epochAt } from '../../src/shared/epoch';
import { BRIDGE_HELLO, PAGE_HELLO, PORT_EVENT } from '../../src/shared/handshake';
import type { TransformStats } from '../../src/shared/messages';
import type { MediaKind } from '../../src/shared/messages/schema';

/** The bridge's end of a MessagePort: what the bridge posts is kept, and {@link receive} plays the other end. */
export class FakePort {
  readonly posted: unknown[] = [];
  closed = false;
  onmessage: ((event: MessageEvent) => unknown) | null = null;

  postMessage(message: unknown): void {
    if (!this.closed) this.posted.push(message);
  }

  close(): void {
    this.closed = true;
  }

  /** The other end sends `data` with `ports` (a closed port hears nothing, as a real one). */
  receive(data: unknown, ports: FakePort[] = []): void {
    if (!this.closed) this.onmessage?.({ data, ports } as unknown as MessageEvent);
  }

  /** What was posted, by type. */
  ofType(type: string): Record<string, unknown>[] {
    return (this.posted as Record<string, unknown>[]).filter((m) => m.type === type);
  }

  types(): unknown[] {
    return (this.posted as Record<string, unknown>[]).map((m) => m.type);
  }
}

/** A runtime port to the background: {@link send} plays the background, {@link drop} its disconnect. */
export class FakeRuntimePort implements RuntimePort {
  readonly posted: Record<string, unknown>[] = [];
  disconnected = false;
  readonly #onMessage: ((message: unknown) => void)[] = [];
  readonly #onDisconnect: (() => void)[] = [];
  readonly onMessage = { addListener: (listener: (message: unknown) => void) => this.#onMessage.push(listener) };
  readonly onDisconnect = { addListener: (listener: () => void) => this.#onDisconnect.push(listener) };

  postMessage(message: unknown): void {
    this.posted.push(message as Record<string, unknown>);
  }

  disconnect(): void {
    this.disconnected = true;
  }

  send(message: unknown): void {
    for (const listener of this.#onMessage) listener(message);
  }

  drop(): void {
    for (const listener of this.#onDisconnect) listener();
  }

  problems(): unknown[] {
    return this.posted.filter((m) => m.type === 'problem').map((m) => m.problem);
  }
}

export class FakeIndicator implements BridgeIndicator {
  problems = 0;
  readonly updates: (readonly TransformStats[])[] = [];
  enabled: boolean[] = [];
  noteProblem(): void {
    this.problems++;
  }
  update(stats: readonly TransformStats[]): void {
    this.updates.push(stats);
  }
  setEnabled(enabled: boolean): void {
    this.enabled.push(enabled);
  }
}

/** Fake time starts here: well inside an epoch, so a test can run a few seconds before the boundary. */
export const START_EPOCH = 1_000;
export const START_MS = START_EPOCH * EPOCH_MS + 1_000;

/** Fake timers for a bridge test (setImmediate stays real, for {@link settle}). */
export function useBridgeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(START_MS);
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits (in real time, at most 5 s) until `condition` holds: WebCrypto imports and derivations run off the thread,
 * so how many event-loop turns they take depends on the machine's load.
 */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`never true: ${condition}`);
    await nextTurn();
  }
}

/**
 * Lets pending work run for a while, before checking that something did *not* happen. It cannot prove that nothing
 * would ever happen: tests that need that (a derivation that must hand out nothing) await the part itself
 * (test/unit/bridge-key-server.test.ts).
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 200; i++) await nextTurn();
}

/** Nonces drawn in order: 32 hex digits each, the first `…01`. */
export function nonceSequence(): () => string {
  let n = 0;
  return () => (++n).toString(16).padStart(32, '0');
}

/** An epoch base key (16 bytes) in base64, as the background sends it. */
export function epochKey(fill: number): string {
  return bytesToBase64(new Uint8Array(16).fill(fill));
}

/** The background's `epoch-keys` for the window around its clock (`now`), of `room`. */
export function epochKeys(room = 'room-a', now = Date.now(), epochs?: number[]) {
  const current = epochAt(now);
  return {
    type: 'epoch-keys',
    room,
    roomTag: epochKey(0xee),
    now,
    keys: (epochs ?? [current - 1, current, current + 1]).map((epoch) => ({ epoch, key: epochKey(epoch % 256) })),
  };
}

/** A key request of the worker for the KID of `participant`'s `track` under generation `generation`. */
export function keyRequest(
  participant: bigint,
  generation = 0,
  options: { track?: number; kind?: MediaKind; endpoint?: string } = {},
) {
  const { track = 0, kind = 'video' } = options;
  const endpoint = options.endpoint ?? `receive-${kind}-1`;
  return {
    type: 'keys-request' as const,
    kid: makeKid(generation % 16, senderIdOf(participant, track)),
    kind,
    endpoint,
  };
}

/**
 * Whether frame keys `a` and `b` for `kid` are the same keys: a frame sealed under `a` opens under `b` (they are
 * non-extractable, so this is the only way to compare them).
 */
export async function sameFrameKeys(kind: MediaKind, kid: bigint, a: FrameKeys, b: FrameKeys): Promise<boolean> {
  const tx = new SFrameContext(SUITE_FOR_KIND[kind]);
  const rx = new SFrameContext(SUITE_FOR_KIND[kind]);
  await tx.importFrameKeys(kid, a);
  await rx.importFrameKeys(kid, b);
  const plaintext = new TextEncoder().encode('one frame');
  const frame = await tx.encrypt(kid, new Uint8Array(0), plaintext);
  try {
    const opened = await rx.decrypt(new Uint8Array(0), frame);
    return Buffer.from(opened.plaintext).equals(Buffer.from(plaintext));
  } catch {
    return false;
  }
}

export { transformStats } from '../transform-stats';

/** Starts a bridge on fakes. Call {@link BridgeUnderTest.handOff} to play the page script's hand-off. */
export function startFakeBridge({ unsafeRealm = false, connectThrows = false } = {}) {
  const window = new EventTarget();
  const hellos: string[] = [];
  window.addEventListener(BRIDGE_HELLO, (event) => hellos.push((event as CustomEvent).detail));
  const runtimePorts: FakeRuntimePort[] = [];
  const indicator = new FakeIndicator();
  const teardown = new AbortController();
  const nonces: string[] = [];
  const draw = nonceSequence();
  startBridge({
    window,
    indicator,
    unsafeRealm,
    signal: teardown.signal,
    newNonce: () => {
      const nonce = draw();
      nonces.push(nonce);
      return nonce;
    },
    connect: () => {
      if (connectThrows) throw new Error('Extension context invalidated.');
      const port = new FakeRuntimePort();
      runtimePorts.push(port);
      return port;
    },
  });
  const worker = new FakePort();
  const reports = new FakePort();
  const bridge = {
    window,
    indicator,
    teardown,
    /** The nonces the bridge drew: the hand-off's first, then one per new worker. */
    nonces,
    /** Nonces in the bridge's hello events. */
    hellos,
    runtimePorts,
    /** The bridge's end of the first worker's port, and of the page script's reports port. */
    worker,
    reports,
    /** The current runtime port (the last one opened). */
    get background(): FakeRuntimePort {
      const port = runtimePorts.at(-1);
      if (port === undefined) throw new Error('the bridge never connected');
      return port;
    },
    /** Plays the page script's hand-off: `framelock:port` with the worker's and the reports port. */
    handOff(ports: unknown[] = [worker, reports]): void {
      window.dispatchEvent(Object.assign(new Event(PORT_EVENT), { ports }));
    },
    pageHello(): void {
      window.dispatchEvent(new Event(PAGE_HELLO));
    },
    /** Hands off and has the worker prove the hand-off's nonce. */
    trustWorker(): void {
      bridge.handOff();
      worker.receive({ type: 'hello', nonce: nonces[0] });
    },
  };
  return bridge;
}

export type BridgeUnderTest = ReturnType<typeof startFakeBridge>;
