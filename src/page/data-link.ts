/**
 * @module What the data-channel patch (data-channels.ts) needs from the bridge: the page script's side of protecting the
 * site's own RTCDataChannel messages (issue 16 part 2). The page script holds no key: every seal and
 * open is the bridge's, over the private port (never window messaging). The real link is wired in main.ts over that
 * port; tests use an in-memory fake (test/pages/data-channels/fake-link.ts).
 *
 * Every member answers through a callback, not a Promise: the page script never awaits (docs/architecture.md), and a
 * Promise resolved with an object looks up `then` on it, which the page can hook. The patch calls each member inside a
 * try/catch and bounds every wait (answer.ts), so a link that throws, answers late, twice or never breaks no call:
 * - SDP lines: no answer within `LINE_ANSWER_MS` (constants.ts) is "no line" (the connection stays unprotected);
 * - seal / open: no answer within `DATA_ANSWER_MS` drops the message (counted), as `undefined` does;
 * - protectText / openText: no answer leaves the text as it is (counted as `unprotected`; see their docs).
 *
 * Connections are numbered by the patch (1, 2, ... per realm, in construction order) and never reused.
 */
/** Which side of an offer/answer exchange a local description is. */
export type DescriptionRole = 'offerer' | 'answerer';

/** A server-terminated relay whose text field the bridge protects (docs/frame-format.md §2.8, the text field). */
export type TextProfile = 'textroom';

/** A string message a profile rewrote: the new text, and the profile that did it (for the channel's report). */
export interface ProfiledText {
  text: string;
  profile: TextProfile;
}

/** One channel's state for the popup (page → bridge → background tab status), sent throttled. */
export interface ChannelReport {
  /** The connection's number (see the module doc). */
  connection: number;
  /** The channel's number in this realm (1, 2, ...): two channels may share a label. */
  channel: number;
  /** Its SCTP stream id (its `id`), once the browser assigned one. */
  streamId: number | undefined;
  /** The channel's label, as the site named it (untrusted, any string). */
  label: string;
  /** Whether the connection is protected (both HELLO lines exchanged and accepted). Final once reported. */
  protected: boolean;
  /** The profile that rewrote at least one text on this channel, if any (only on an unprotected connection). */
  profile: TextProfile | undefined;
  /** Messages the page sent that went out (sealed on a protected connection). */
  sent: number;
  /** Messages delivered to the page. */
  received: number;
  /** Incoming messages refused: not opened on a protected connection (plaintext, forged, replayed, late answer). */
  dropped: number;
  /** Messages the page sent that did not go out: the link did not seal them, or the channel closed first. */
  unsent: number;
  /** Texts of an unprotected connection that went out or in unexamined because the link did not answer in time. */
  unprotected: number;
  /** The channel closed: this is its last report. */
  closed: boolean;
}

export interface DataLink {
  /**
   * A HELLO line value (base64url, the part after `a=x-framelock:1 `) for a new local description of `connection`
   * made as `role`, or undefined to leave the description as it is. Asked for each createOffer / createAnswer result and
   * each setLocalDescription() without a description. The patch inserts it only if it is 1 to 256 base64url characters.
   */
  localLine(connection: number, role: DescriptionRole, answer: (line: string | undefined) => void): void;
  /**
   * The line value of a remote description `connection` just applied (undefined: it had none), once per successful
   * setRemoteDescription (never for a rollback). Untrusted: the remote peer, the site or its server wrote it.
   * `answer(true)` if it opens and names the other role: the link can now seal and open for this connection. The
   * patch then calls the connection protected if its own local description carried a line the link gave, at the end
   * of its first offer/answer exchange; that decision is final (data-sdp.ts), and later lines change nothing.
   */
  remoteLine(connection: number, line: string | undefined, answer: (accepted: boolean) => void): void;
  /**
   * Seals one message the page sent on a protected connection's SCTP stream `streamId` (the channel's id): a string
   * (the page sent a string; the link encodes it as UTF-8) or a copy of the bytes it sent. On each channel, calls come
   * in the order the page sent (a Blob is read first, and holds back what follows it on its channel only); the native
   * sends the results in that order. `answer(undefined)`: the message is dropped (never sent in clear).
   */
  seal(
    connection: number,
    streamId: number,
    data: string | ArrayBuffer,
    answer: (sealed: ArrayBuffer | undefined) => void,
  ): void;
  /**
   * Opens one binary message received on a protected connection's stream `streamId` (untrusted: whatever the network
   * carried). The result is a string if the sender sent a string. `answer(undefined)`: dropped and counted.
   * `answer(null)`: it was the peer's confirmation ({@link DataLink.confirm}): nothing is delivered. (Strings never reach
   * here: a sealed message is binary, so the patch drops them itself.)
   */
  open(
    connection: number,
    streamId: number,
    data: ArrayBuffer,
    answer: (opened: string | ArrayBuffer | null | undefined) => void,
  ): void;
  /**
   * Our confirmation that we seal `connection`, sealed for its stream `streamId`: the offerer of a protected
   * connection sends one on each channel as it opens, and the answerer decides only once it has seen one (or a clear
   * message, or nothing within `CONFIRM_WAIT_MS`; data-sdp.ts). `answer(undefined)`: none is sent.
   */
  confirm(connection: number, streamId: number, answer: (sealed: ArrayBuffer | undefined) => void): void;
  /**
   * A string the page sends on a connection that is not protected, on its channel's stream `streamId`: a profile's
   * rewrite of it, undefined to send it as it is, or `'drop'` not to send it at all (a chat text the profile cannot
   * seal). If the link does not answer in time, the text goes out as it is
   * (a slow bridge must not break the site's signalling), unless it may be a message a profile seals (it names a
   * textroom): that one is dropped, never sent in clear.
   */
  protectText(
    connection: number,
    streamId: number,
    text: string,
    answer: (rewritten: ProfiledText | 'drop' | undefined) => void,
  ): void;
  /**
   * A string received on a connection that is not protected and containing {@link DataLink.textMarker}: its opened
   * rewrite, undefined to deliver it as it is (the participant without the key sees the marker text), or `'drop'`.
   */
  openText(
    connection: number,
    streamId: number,
    text: string,
    answer: (opened: ProfiledText | 'drop' | undefined) => void,
  ): void;
  /**
   * What every text a profile wrote contains (e.g. "Framelock: "): an incoming string without it is delivered by the
   * browser itself, unexamined and untouched, which keeps the site's own messages as they were (`isTrusted` included).
   */
  readonly textMarker: string;
  /**
   * The connection's decision ({@link Connection.decision} in data-sdp.ts), once: whether its messages are sealed. The
   * link must follow it: it may have keys for a connection whose description went out without its line (the line
   * came too late), which is then not protected; and it must never let a message of a protected one out in clear.
   */
  decided(connection: number, isProtected: boolean): void;
  /** The site closed the connection (`close()`): its keys can go, and its channels leave the report. */
  closed(connection: number): void;
  /** One channel's state, throttled by the patch ({@link ChannelReport}). */
  report(channel: ChannelReport): void;
}
