/**
 * @module The SDP half of the data-channel patch (issue 16 part 2): our HELLO line into the local descriptions the site
 * creates, the remote peer's line to the bridge, and from both, whether each connection is **protected**.
 *
 * ```
 * site                      patch (this module)                               link (bridge)
 * createOffer()       ──▶   native createOffer, then ──── localLine(offerer) ──▶  sealed HELLO, or nothing
 *                    ◀──   the offer with `a=x-framelock:1 <hello>`               (≤ LINE_ANSWER_MS, else nothing)
 * setLocalDescription(offer)  remembers that the offer carried our line
 * localDescription   ◀──   the native's, with our line put back (Chromium drops unknown attributes)
 * setRemoteDescription(answer) native, then ─────────── remoteLine(<peer's line>) ─▶  accepted? (≤ LINE_ANSWER_MS)
 *                            first complete exchange: protected = our line went out ∧ the peer's was accepted
 * ```
 * The answerer does the same with createAnswer (role `answerer`). setLocalDescription() without a description gets
 * our line too, without waiting: the patch keeps a line ready (an offerer's, asked for when the connection is built;
 * an answerer's, asked for while a remote offer with our line is applied, whose setRemoteDescription resolves once it
 * is ready; an offer without one resolves as the browser's does, and its answer gets no line), so
 * that the native's promise is the site's, and its `negotiationneeded` comes after the site resumed, as without us (a
 * page following the spec's perfect negotiation sends `localDescription` right after that await). The decision is made once per connection, at the
 * end of its first offer/answer exchange (or when one of its channels opens first, if the site negotiated through
 * another realm's methods), and never changes: a renegotiation still carries lines, but cannot switch a call's
 * channels between sealed and clear under the site's feet.
 *
 * The answerer cannot know that its answer's line reached the offerer (a server may rewrite the SDP; the offerer's
 * bridge may miss its deadline). So an answerer that would be protected **waits for the offerer's confirmation**
 * (`awaiting`): the offerer sends one, sealed, on each channel as it opens (data-channels.ts). A valid envelope from
 * the offerer decides "protected"; a clear message, or nothing within {@link CONFIRM_WAIT_MS}, "not protected". Both
 * ends then agree, and a lost line costs protection (which the popup shows), never the site's messages.
 *
 * The site's calls never fail because of us: a link that throws, answers late or says nothing leaves the description
 * as the browser made it. Connections of another realm's constructor are left to that realm's patch.
 */
import { answerWithin, type Timers } from './answer';
import { CONFIRM_WAIT_MS, LINE_ANSWER_MS, LINE_FRESH_MS } from './constants';
import type { DataLink, DescriptionRole } from './data-link';
import { natives as N } from './natives';
import { proxyOf } from './proxy';
import { isLineValue, lineOf, withLine } from './sdp-line';

const { apply } = N;

/** A connection of this realm, as the channel half (data-channels.ts) sees it. */
export interface Connection {
  /** Its number for the link (1, 2, ... in construction order). */
  readonly id: number;
  /** The RTCPeerConnection. */
  readonly pc: object;
  /** Whether it is protected; undefined until decided. */
  readonly decision: boolean | undefined;
  /** Calls `then` once the connection is decided: at once if it is. */
  whenDecided(then: (isProtected: boolean) => void): void;
  /** An answerer that would be protected waits for the offerer's confirmation (see the module doc). */
  readonly awaiting: boolean;
  /** Decided protected as the offerer of its first exchange: it sends its confirmation on each channel that opens. */
  readonly confirms: boolean;
  /** What the offerer's first message said, while {@link awaiting}: it seals (true) or sends in clear (false). */
  confirmed(isProtected: boolean): void;
  /**
   * One of its channels is open, so the browser has negotiated it, whether or not we saw how: decide now, unless a
   * remote line is still being checked (that answer comes within {@link LINE_ANSWER_MS}).
   */
  settle(): void;
}

export interface ConnectionSdp {
  /** Follows `pc`, a connection this realm's constructor just built. */
  adopt(pc: object): Connection;
  /** The connection `value` is, if this realm adopted it. */
  of(value: unknown): Connection | undefined;
}

type SdpType = 'offer' | 'answer' | 'pranswer' | 'rollback';

/** A description the site passed in, read once: its type and SDP where it had them. */
interface ReadDescription {
  type: string | undefined;
  sdp: string | undefined;
}

/** `then` on a native promise, with both outcomes handled (so ours adds no unhandled rejection). */
function after(promise: unknown, onFulfilled: (value: unknown) => void, onRejected: (error: unknown) => void): void {
  if (promise === null || typeof promise !== 'object') return;
  try {
    apply(N.promiseThen, promise, [onFulfilled, onRejected]);
  } catch {
    // not a native promise: nothing to follow
  }
}

/**
 * The type and SDP of a description the site passed (an RTCSessionDescription, read with the saved getters, or its
 * own object, read once as the native reads it), or undefined if it is not an object or reading it throws: the native
 * then fails as it would have.
 */
function readDescription(value: unknown): ReadDescription | undefined {
  if (value === undefined || value === null) return { type: undefined, sdp: undefined };
  if (typeof value !== 'object' && typeof value !== 'function') return undefined;
  try {
    if (N.descriptionSdp !== undefined && N.descriptionType !== undefined) {
      const sdp = apply(N.descriptionSdp, value, []) as string; // throws for anything but an RTCSessionDescription
      return { type: apply(N.descriptionType, value, []) as string, sdp };
    }
  } catch {
    // the site's own object
  }
  try {
    const { sdp, type } = value as { sdp?: unknown; type?: unknown };
    return {
      type: typeof type === 'string' ? type : undefined,
      sdp: typeof sdp === 'string' ? sdp : undefined,
    };
  } catch {
    return undefined;
  }
}

/**
 * The arguments for the native, with the description we read in place of the site's: without a prototype, so that the
 * native's own conversion reads our two members and nothing else (the site's object was read once, by us, and an
 * RTCSessionDescription's getters on its prototype are the page's to replace). A description we could not read
 * fully (members that are not strings) goes as the site gave it: the native converts it as it would have.
 */
function argsWith(read: ReadDescription, args: readonly unknown[]): readonly unknown[] {
  const { type, sdp } = read;
  if (typeof type !== 'string' || typeof sdp !== 'string') return args;
  const init = { type, sdp };
  N.setPrototypeOf(init, null);
  // Literals, not a copy: writing an array's indices runs setters the page may have put on Array.prototype.
  if (args.length <= 1) return [init];
  return args.length === 2 ? [init, args[1]] : [init, args[1], args[2]];
}

class ConnectionState implements Connection {
  readonly id: number;
  readonly pc: object;
  readonly #link: DataLink;
  readonly #timers: Timers;
  /** Line values the link gave for this connection: a local description carries ours only with one of these. */
  readonly #given = new N.Map<string, true>();
  /** The line of the pending and of the current local description (undefined: it carries none of ours). */
  #pendingLine: string | undefined = undefined;
  #currentLine: string | undefined = undefined;
  /** Remote lines handed to the link and not answered yet; and whether the last answered was accepted. */
  #checking = 0;
  #accepted = false;
  /** Its first offer/answer exchange is complete. */
  #negotiated = false;
  /** Our role in the exchange that made the current local description ours (undefined: none yet). */
  #role: DescriptionRole | undefined = undefined;
  /** Waiting for the offerer's confirmation, until this timer (see the module doc). */
  #awaiting = false;
  #awaitTimer: unknown = undefined;
  /** Decided protected as the offerer (fixed then: a later renegotiation may turn the roles round). */
  #confirms = false;
  #decision: boolean | undefined = undefined;
  /** Who waits for the decision (each channel's queues); dropped once told. */
  #waiters = new N.Map<(isProtected: boolean) => void, true>();
  /** Lines kept ready (see the module doc): the offerer's from the start, the answerer's for the latest remote offer. */
  #readyOffer: { line: string; at: number } | undefined = undefined;
  #readyAnswer: { line: string; at: number } | undefined = undefined;
  /** Whether the latest remote offer carried a line (undefined: none came yet). */
  #offerHasLine: boolean | undefined = undefined;
  /** Who waits for the offerer's line asked for and not answered yet (undefined: none is being asked for). */
  #offerWaiters: Map<(line: string | undefined) => void, true> | undefined = undefined;
  /** What the getters showed for each native description: the same object while neither changes. */
  readonly #shown = new N.WeakMap<object, { line: string; shown: unknown }>();

  constructor(id: number, pc: object, link: DataLink, timers: Timers) {
    this.id = id;
    this.pc = pc;
    this.#link = link;
    this.#timers = timers;
  }

  get decision(): boolean | undefined {
    return this.#decision;
  }

  get awaiting(): boolean {
    return this.#awaiting;
  }

  get confirms(): boolean {
    return this.#confirms;
  }

  confirmed(isProtected: boolean): void {
    if (!this.#awaiting) return;
    this.#awaiting = false;
    this.#timers.clearTimeout(this.#awaitTimer);
    this.#final(isProtected);
  }

  whenDecided(then: (isProtected: boolean) => void): void {
    if (this.#decision !== undefined) then(this.#decision);
    else apply(N.mapSet, this.#waiters, [then, true]);
  }

  settle(): void {
    this.#decide(true);
  }

  /**
   * A line for a new local description made as `role`: the one kept ready if it is fresh, else asked of the link;
   * `take` gets it, or undefined.
   */
  lineFor(role: DescriptionRole, take: (line: string | undefined) => void): void {
    // An answer to an offer without our line carries none (the link would refuse it): nothing to ask or wait for.
    if (role === 'answerer' && this.#offerHasLine === false) {
      take(undefined);
      return;
    }
    const ready = this.readyLine(role);
    if (ready !== undefined) take(ready);
    else this.prefetch(role, take);
  }

  /** The line kept ready for `role`, if it is fresh (LINE_FRESH_MS). */
  readyLine(role: DescriptionRole): string | undefined {
    const ready = role === 'offerer' ? this.#readyOffer : this.#readyAnswer;
    return ready !== undefined && apply(N.dateNow, undefined, []) - ready.at < LINE_FRESH_MS ? ready.line : undefined;
  }

  /** Asks the link for a line made as `role` and keeps it ready; `then` gets it (or undefined) too. */
  prefetch(role: DescriptionRole, then?: (line: string | undefined) => void): void {
    // An offerer's line already asked for: wait for that answer rather than ask again.
    if (role === 'offerer' && this.#offerWaiters !== undefined) {
      if (then !== undefined) apply(N.mapSet, this.#offerWaiters, [then, true]);
      return;
    }
    const waiters = new N.Map<(line: string | undefined) => void, true>();
    if (then !== undefined) apply(N.mapSet, waiters, [then, true]);
    if (role === 'offerer') this.#offerWaiters = waiters;
    answerWithin<string | undefined>(
      this.#timers,
      LINE_ANSWER_MS,
      undefined,
      (answer) => this.#link.localLine(this.id, role, answer),
      (line) => {
        const valid = typeof line === 'string' && isLineValue(line) ? line : undefined;
        if (valid !== undefined) {
          apply(N.mapSet, this.#given, [valid, true]);
          const ready = { line: valid, at: apply(N.dateNow, undefined, []) as number };
          if (role === 'offerer') this.#readyOffer = ready;
          else this.#readyAnswer = ready;
        }
        if (role === 'offerer') this.#offerWaiters = undefined;
        apply(N.mapForEach, waiters, [(_: true, waiter: (line: string | undefined) => void) => waiter(valid)]);
      },
    );
  }

  /** A description `type` was applied locally, carrying `line` (one the link gave) or none of ours. */
  placeLocal(type: SdpType, line: string | undefined): void {
    if (type === 'offer' || type === 'pranswer') this.#pendingLine = line;
    else if (type === 'answer') {
      this.#currentLine = line;
      this.#pendingLine = undefined;
      this.#role = 'answerer';
    } else this.#pendingLine = undefined; // rollback: the pending offer is gone
    this.#afterChange();
  }

  /** The site set a local description whose SDP had `line` (maybe ours). Returns it if it is one the link gave. */
  ours(line: string | undefined): string | undefined {
    return line !== undefined && apply(N.mapGet, this.#given, [line]) === true ? line : undefined;
  }

  /**
   * A remote description is being applied: its line goes to the link once the browser accepted it. `checked` runs
   * once that is done (or failed): for an offer, after our answer's line is ready too.
   */
  remoteApplying(type: string | undefined, line: string | undefined, result: unknown, checked?: () => void): void {
    this.#checking++;
    if (type === 'offer') {
      this.#readyAnswer = undefined; // made for an earlier offer
      this.#offerHasLine = line !== undefined;
    }
    after(
      result,
      () => {
        // Our pending offer (or pranswer) is now the current local description.
        if (type === 'answer') {
          this.#currentLine = this.#pendingLine;
          this.#pendingLine = undefined;
          this.#role = 'offerer';
        }
        this.#afterChange();
        if (line === undefined) {
          // Nothing to check (a server's offer, a peer without Framelock): not accepted, at once. The link is told
          // (it forgets a HELLO held from before), and nothing waits for it.
          try {
            this.#link.remoteLine(this.id, undefined, () => {});
          } catch {
            // the link's trouble
          }
          this.#accepted = false;
          this.#checking--;
          this.#decide(false);
          checked?.();
          return;
        }
        answerWithin<boolean>(
          this.#timers,
          LINE_ANSWER_MS,
          false,
          (answer) => this.#link.remoteLine(this.id, line, answer),
          (accepted) => {
            this.#accepted = accepted === true;
            this.#checking--;
            this.#decide(false);
            if (type === 'offer' && accepted === true) this.prefetch('answerer', () => checked?.());
            else checked?.();
          },
        );
      },
      () => {
        this.#checking--;
        this.#decide(false);
        checked?.();
      },
    );
  }

  /** The line a getter shows in `name`'s description, if it carries ours. */
  lineShown(name: 'localDescription' | 'pendingLocalDescription' | 'currentLocalDescription'): string | undefined {
    if (name === 'pendingLocalDescription') return this.#pendingLine;
    if (name === 'currentLocalDescription') return this.#currentLine;
    const pending = N.pendingLocalDescription === undefined ? null : apply(N.pendingLocalDescription, this.pc, []);
    return pending === null ? this.#currentLine : this.#pendingLine;
  }

  /** `native` (an RTCSessionDescription) with `line` put back: the same object for the same description and line. */
  shown(native: object, line: string): unknown {
    const cached = apply(N.weakMapGet, this.#shown, [native]) as { line: string; shown: unknown } | undefined;
    if (cached !== undefined && cached.line === line) return cached.shown;
    const Description = N.RTCSessionDescription;
    if (Description === undefined || N.descriptionSdp === undefined || N.descriptionType === undefined) return native;
    // No prototype: the constructor reads `sdp` and `type`, and would look up absent members on Object.prototype.
    const init = {
      type: apply(N.descriptionType, native, []) as RTCSdpType,
      sdp: withLine(apply(N.descriptionSdp, native, []) as string, line),
    };
    N.setPrototypeOf(init, null);
    const shown = new Description(init);
    apply(N.weakMapSet, this.#shown, [native, { line, shown }]);
    return shown;
  }

  #afterChange(): void {
    if (!this.#negotiated) {
      const state = N.signalingState === undefined ? undefined : apply(N.signalingState, this.pc, []);
      const local = N.currentLocalDescription === undefined ? null : apply(N.currentLocalDescription, this.pc, []);
      const remote = N.currentRemoteDescription === undefined ? null : apply(N.currentRemoteDescription, this.pc, []);
      if (state === 'stable' && local !== null && remote !== null) this.#negotiated = true;
    }
    this.#decide(false);
  }

  /**
   * Decides once: at the end of the first exchange, or when `now` (a channel opened), and no remote line pending. An
   * answerer that would be protected waits for the offerer's confirmation first.
   */
  #decide(now: boolean): void {
    if (this.#decision !== undefined || this.#awaiting || this.#checking > 0 || !(this.#negotiated || now)) return;
    const decision = this.#currentLine !== undefined && this.#accepted;
    if (decision && this.#role === 'answerer') {
      this.#awaiting = true;
      this.#awaitTimer = this.#timers.setTimeout(() => this.confirmed(false), CONFIRM_WAIT_MS);
      return;
    }
    this.#final(decision);
  }

  #final(decision: boolean): void {
    this.#decision = decision;
    this.#confirms = decision && this.#role === 'offerer';
    try {
      this.#link.decided(this.id, decision);
    } catch {
      // the link's trouble: the decision stands
    }
    const waiters = this.#waiters;
    this.#waiters = new N.Map();
    apply(N.mapForEach, waiters, [(_: true, then: (isProtected: boolean) => void) => then(decision)]);
  }
}

/** The type a local description took, from the state the browser is in after applying it (or undefined). */
function appliedLocalType(pc: object): SdpType | undefined {
  const state = N.signalingState === undefined ? undefined : apply(N.signalingState, pc, []);
  if (state === 'have-local-offer') return 'offer';
  if (state === 'have-local-pranswer') return 'pranswer';
  if (state === 'stable') return 'answer';
  return undefined;
}

/**
 * Installs the SDP hooks on RTCPeerConnection.prototype (createOffer, createAnswer, setLocalDescription,
 * setRemoteDescription, and the three local description getters). They act only on connections {@link
 * ConnectionSdp.adopt} was given. Returns undefined (and changes nothing) without RTCPeerConnection.
 */
export function installSdpHooks(link: DataLink, timers: Timers): ConnectionSdp | undefined {
  const NativePC = N.RTCPeerConnection;
  if (NativePC === undefined) return undefined;
  const proto = NativePC.prototype;
  const connections = new N.WeakMap<object, ConnectionState>();
  let serial = 0;
  const of = (value: unknown): ConnectionState | undefined =>
    value !== null && typeof value === 'object' ? apply(N.weakMapGet, connections, [value]) : undefined;

  /** A promise of the page's realm for `created` (a native createOffer / createAnswer result), with our line in. */
  function withOurLine(connection: ConnectionState, created: unknown, role: DescriptionRole): unknown {
    return new N.Promise((resolve, reject) => {
      after(
        created,
        (description) => {
          connection.lineFor(role, (line) => {
            // Chromium resolves with a plain object whose `sdp` is its own writable data property: assigning it calls
            // nothing of the page's.
            const sdp = (description as { sdp?: unknown } | null)?.sdp;
            if (line !== undefined && typeof sdp === 'string') {
              try {
                (description as { sdp: string }).sdp = withLine(sdp, line);
              } catch {
                // not writable: it goes out as the browser made it
              }
            }
            resolve(description);
          });
        },
        reject,
      );
    });
  }

  function patchCreate(name: 'createOffer' | 'createAnswer', role: DescriptionRole): void {
    const descriptor = N.getDescriptor(proto, name);
    const native = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (descriptor === undefined || typeof native !== 'function') return;
    const wrapped = proxyOf(native, {
      apply(target, thisArg, args) {
        const connection = of(thisArg);
        if (connection === undefined) return apply(target, thisArg, args);
        // (Index reads, not `[first, second] = args`: destructuring runs the page's Array iterator.)
        const first = args[0];
        const second = args[1];
        if (typeof first !== 'function') return withOurLine(connection, apply(target, thisArg, args), role);
        // The legacy form (success, failure, options): the promise form, then the callbacks, as the spec defines it.
        if (typeof second !== 'function') return apply(target, thisArg, args); // the native says what is wrong
        const created = withOurLine(connection, apply(target, thisArg, args.length > 2 ? [args[2]] : []), role);
        return new N.Promise<void>((resolve) => {
          after(
            created,
            (description) => {
              apply(first, undefined, [description]);
              resolve();
            },
            (error) => {
              apply(second, undefined, [error]);
              resolve();
            },
          );
        });
      },
    });
    N.defineProperty(proto, name, { ...descriptor, value: wrapped });
  }

  function patchSetLocal(): void {
    const descriptor = N.getDescriptor(proto, 'setLocalDescription');
    const native = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (descriptor === undefined || typeof native !== 'function') return;
    const wrapped = proxyOf(native, {
      apply(target, thisArg, args) {
        const connection = of(thisArg);
        const read = connection === undefined ? undefined : readDescription(args[0]);
        if (connection === undefined || read === undefined) return apply(target, thisArg, args);
        // Known before the call: an implicit description in have-remote-offer (or -pranswer) is an answer.
        const before = N.signalingState === undefined ? undefined : apply(N.signalingState, thisArg, []);
        const answering = before === 'have-remote-offer' || before === 'have-remote-pranswer';
        const result = apply(target, thisArg, argsWith(read, args));
        const implicit =
          read.type !== 'rollback' && (read.sdp === undefined || read.sdp === '') && typeof args[1] !== 'function';
        if (!implicit) {
          const line = connection.ours(read.sdp === undefined ? undefined : lineOf(read.sdp));
          after(
            result,
            () => {
              const type = read.type === 'rollback' ? 'rollback' : appliedLocalType(thisArg);
              if (type !== undefined) connection.placeLocal(type, line);
            },
            () => {},
          );
          return result;
        }
        // The browser makes the description. An answer carries the line kept ready (none if none is): the native's
        // own promise goes back to the site, and this reaction, added first, runs before the site's, so the site
        // resumes when it would have (and its negotiationneeded comes after), with the line already in the getters.
        if (answering) {
          after(
            result,
            () => {
              const type = appliedLocalType(thisArg);
              if (type !== undefined) connection.placeLocal(type, connection.readyLine('answerer'));
            },
            () => {},
          );
          return result;
        }
        // An offer may wait for its line (no negotiationneeded fires in have-local-offer): the one kept ready, or
        // the one being asked for since the connection was built (a page offers as soon as it adds a track).
        return new N.Promise((resolve, reject) => {
          after(
            result,
            (value) => {
              const type = appliedLocalType(thisArg);
              if (type === undefined || type === 'rollback') {
                resolve(value);
                return;
              }
              connection.lineFor(type === 'offer' ? 'offerer' : 'answerer', (line) => {
                connection.placeLocal(type, line);
                resolve(value);
              });
            },
            reject,
          );
        });
      },
    });
    N.defineProperty(proto, 'setLocalDescription', { ...descriptor, value: wrapped });
  }

  function patchSetRemote(): void {
    const descriptor = N.getDescriptor(proto, 'setRemoteDescription');
    const native = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (descriptor === undefined || typeof native !== 'function') return;
    const wrapped = proxyOf(native, {
      apply(target, thisArg, args) {
        const connection = of(thisArg);
        const read = connection === undefined || args.length === 0 ? undefined : readDescription(args[0]);
        if (connection === undefined || read === undefined || read.type === 'rollback') {
          return apply(target, thisArg, args);
        }
        const result = apply(target, thisArg, argsWith(read, args));
        const line = read.sdp === undefined ? undefined : lineOf(read.sdp);
        // Only an offer with a line waits (for our answer's line): a server's offer resolves as the browser's does.
        if (read.type !== 'offer' || line === undefined) {
          connection.remoteApplying(read.type, line, result);
          return result;
        }
        // A remote offer: the site's answer may come from setLocalDescription() without a description, which must
        // find our answer's line ready. So this resolves once the offer's line is checked and ours is made (each
        // within LINE_ANSWER_MS; a few milliseconds as a rule). No event waits on it: in have-remote-offer the browser
        // fires no negotiationneeded.
        return new N.Promise((resolve, reject) => {
          let applied: unknown;
          after(
            result,
            (value) => {
              applied = value;
            },
            reject, // first: the resolve that follows changes nothing
          );
          connection.remoteApplying(read.type, line, result, () => resolve(applied));
        });
      },
    });
    N.defineProperty(proto, 'setRemoteDescription', { ...descriptor, value: wrapped });
  }

  function patchGetter(name: 'localDescription' | 'pendingLocalDescription' | 'currentLocalDescription'): void {
    const descriptor = N.getDescriptor(proto, name);
    const get = descriptor?.get;
    if (descriptor === undefined || get === undefined) return;
    const wrapped = proxyOf(get, {
      apply(target, thisArg, args) {
        const native = apply(target, thisArg, args) as object | null;
        const connection = of(thisArg);
        if (connection === undefined || native === null) return native;
        const line = connection.lineShown(name);
        return line === undefined ? native : connection.shown(native, line);
      },
    });
    N.defineProperty(proto, name, { ...descriptor, get: wrapped });
  }

  /** close(): the link forgets the connection (its keys go; a protected one's late messages are dropped). */
  function patchClose(): void {
    const descriptor = N.getDescriptor(proto, 'close');
    const native = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (descriptor === undefined || typeof native !== 'function') return;
    const wrapped = proxyOf(native, {
      apply(target, thisArg, args) {
        const result = apply(target, thisArg, args);
        const connection = of(thisArg);
        if (connection !== undefined) {
          try {
            link.closed(connection.id);
          } catch {
            // the link's trouble: the connection is closed all the same
          }
        }
        return result;
      },
    });
    N.defineProperty(proto, 'close', { ...descriptor, value: wrapped });
  }

  patchCreate('createOffer', 'offerer');
  patchClose();
  patchCreate('createAnswer', 'answerer');
  patchSetLocal();
  patchSetRemote();
  patchGetter('localDescription');
  patchGetter('pendingLocalDescription');
  patchGetter('currentLocalDescription');

  return {
    adopt(pc) {
      const connection = new ConnectionState(++serial, pc, link, timers);
      apply(N.weakMapSet, connections, [pc, connection]);
      connection.prefetch('offerer'); // ready for an offer made by setLocalDescription() alone
      return connection;
    },
    of,
  };
}
