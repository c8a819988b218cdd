/**
 * @module The in-page indicator, drawn by the content bridge (ISOLATED world) from its worker's counters: a small
 * lock status in a corner of the page while a call runs, and a marker over each `<video>` that shows a remote
 * participant whose media is not protected (not encrypted, or cannot be decrypted) or our own media echoed back.
 *
 * A marker goes only on a tile that surely shows that receiver's media. The worker knows a receiver by the id of its
 * track, and this isolated world sees the tracks each element's `srcObject` holds (its own wrappers of the same
 * objects, so two elements holding one track hold the same object); but ids need not be unique: Janus names every
 * subscription's tracks `janus0` and `janus1`. An id that two receivers or two tracks on the page have carried names
 * no tile, so it gets no marker (a wrong one, on a decrypted tile, would be worse than none) and the status says that
 * some participants are not encrypted without saying which.
 *
 * Everything lives in a closed shadow root under a custom element fixed at the viewport's corner with no size of its
 * own and `pointer-events: none` (no `contain`: it would make the host the containing block of the fixed parts): the site's CSS cannot restyle it by accident and it cannot move the site's layout or
 * take its clicks. The page can still remove or imitate it; the toolbar badge and the popup are the authority (the
 * options page's About section says so).
 */
import type { TransformStats } from '../shared/messages';
import { t } from '../ui/i18n';
import { MAX_TRACK_IDS, TRANSFORM_STALE_MS } from './constants';

/** What the rest of the bridge uses of the indicator (unit tests of the bridge pass a fake). */
export type BridgeIndicator = Pick<Indicator, 'noteProblem' | 'update' | 'setEnabled'>;

type Overall = 'protected' | 'warning' | 'waiting';

interface Marker {
  kind: 'unencrypted' | 'undecryptable' | 'echoed';
  element: HTMLElement;
}

const STYLE = `
:host { all: initial; }
.status {
  position: fixed; right: 12px; bottom: 12px; max-width: calc(100vw - 24px); white-space: nowrap;
  display: flex; gap: 6px; align-items: center;
  padding: 4px 10px; border-radius: 999px;
  font: 600 12px/1.4 system-ui, sans-serif; letter-spacing: 0.01em;
  color: #fff; background: #1b6e3a; box-shadow: 0 1px 4px rgb(0 0 0 / 35%);
  opacity: 0.92;
}
.status.warning { background: #b3261e; }
.status.waiting { background: #3d4451; }
.marker {
  position: fixed; padding: 3px 8px; border-radius: 4px;
  font: 700 12px/1.4 system-ui, sans-serif; color: #fff; background: #b3261e;
  box-shadow: 0 1px 4px rgb(0 0 0 / 40%); white-space: nowrap;
}
.marker.echoed { background: #7a4f01; }
[hidden] { display: none !important; }
`;

export class Indicator {
  #enabled = true;
  #host: HTMLElement | undefined;
  #root: ShadowRoot | undefined;
  #status: HTMLElement | undefined;
  readonly #stats = new Map<string, { stats: TransformStats; at: number }>();
  readonly #markers = new Map<HTMLVideoElement, Marker>();
  /** The receiver that first reported each track id. */
  readonly #trackOwners = new Map<string, string>();
  /**
   * Track ids that two receivers, or two distinct tracks shown on the page, have carried. Remembered for the page's
   * life: a receiver may report before another's track with the same id is on the page, or after it left.
   */
  readonly #repeated = new Set<string>();
  #problem = false;
  #frame = 0;
  /** Closed in the extension; tests open it to read what it drew. */
  readonly #shadowMode: ShadowRootMode;

  /** `signal` removes the indicator's listeners on `window` when it aborts (the bridge is torn down). */
  constructor({ shadowMode = 'closed', signal }: { shadowMode?: ShadowRootMode; signal?: AbortSignal } = {}) {
    this.#shadowMode = shadowMode;
    const reposition = (): void => {
      if (this.#frame === 0) {
        this.#frame = requestAnimationFrame(() => {
          this.#frame = 0;
          this.#placeMarkers();
        });
      }
    };
    addEventListener('scroll', reposition, { capture: true, passive: true, signal });
    addEventListener('resize', reposition, { passive: true, signal });
  }

  /** Turns the indicator on or off (the site's setting). */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    this.#render();
  }

  /** A problem that leaves some media unprotected (worker blocked, unsafe frame…): the status turns to a warning. */
  noteProblem(): void {
    this.#problem = true;
    this.#render();
  }

  /** New counters from the worker. */
  update(stats: readonly TransformStats[]): void {
    const now = Date.now();
    for (const s of stats) {
      this.#stats.set(s.id, { stats: s, at: now });
      if (s.side === 'receive' && s.trackId !== undefined) this.#noteOwner(s.trackId, s.id);
    }
    for (const [id, entry] of this.#stats) if (now - entry.at > TRANSFORM_STALE_MS) this.#stats.delete(id);
    this.#render();
  }

  #overall(list: TransformStats[]): Overall {
    const receiving = list.filter((s) => s.side === 'receive');
    if (this.#problem || receiving.some((s) => s.status === 'unencrypted' || s.status === 'undecryptable')) {
      return 'warning';
    }
    return list.some((s) => s.status === 'encrypted') ? 'protected' : 'waiting';
  }

  #render(): void {
    const list = [...this.#stats.values()].map((entry) => entry.stats);
    if (!this.#enabled || list.length === 0) {
      this.#host?.remove();
      this.#host = undefined;
      this.#root = undefined;
      this.#status = undefined;
      this.#markers.clear();
      return;
    }
    const root = this.#ensureRoot();
    if (root === undefined || this.#status === undefined) return;
    const unplaced = this.#updateMarkers(list);
    const overall = this.#overall(list);
    const text =
      overall === 'protected'
        ? t('indicator_protected')
        : overall === 'warning'
          ? unplaced
            ? t('indicator_warning_unplaced')
            : t('indicator_warning')
          : t('indicator_waiting');
    this.#status.className = `status ${overall}`;
    this.#status.textContent = `${overall === 'protected' ? '🔒' : overall === 'warning' ? '⚠' : '…'} ${text}`;
    this.#status.setAttribute('aria-label', t('indicator_label', text));
  }

  #ensureRoot(): ShadowRoot | undefined {
    if (this.#root !== undefined && this.#host?.isConnected) return this.#root;
    const parent = document.documentElement;
    if (parent === null) return undefined;
    const host = document.createElement('framelock-indicator');
    // Inline and !important: a page rule for the element would otherwise win by accident.
    host.setAttribute(
      'style',
      'all: initial !important; position: fixed !important; inset: 0 !important; width: 0 !important; ' +
        'height: 0 !important; z-index: 2147483647 !important; pointer-events: none !important; ' +
        'display: block !important;',
    );
    const root = host.attachShadow({ mode: this.#shadowMode });
    const style = document.createElement('style');
    style.textContent = STYLE;
    const status = document.createElement('div');
    status.setAttribute('role', 'status');
    root.append(style, status);
    parent.append(host);
    this.#host = host;
    this.#root = root;
    this.#status = status;
    this.#markers.clear();
    return root;
  }

  /**
   * The tracks that the media elements of this document hold, by id, and the `<video>` elements that show each id.
   * (An `<audio>` element gets no marker, but a track in it with a repeated id makes that id ambiguous.)
   */
  #tracksOnPage(): Map<string, { tracks: Set<MediaStreamTrack>; videos: HTMLVideoElement[] }> {
    const byId = new Map<string, { tracks: Set<MediaStreamTrack>; videos: HTMLVideoElement[] }>();
    for (const element of document.querySelectorAll('video, audio')) {
      const stream = (element as HTMLMediaElement).srcObject;
      if (!(stream instanceof MediaStream)) continue;
      for (const track of stream.getTracks()) {
        const entry = byId.get(track.id) ?? { tracks: new Set(), videos: [] };
        byId.set(track.id, entry);
        entry.tracks.add(track);
        if (element instanceof HTMLVideoElement && !entry.videos.includes(element)) entry.videos.push(element);
      }
    }
    return byId;
  }

  /** Notes that receiver `receiverId` reports track id `trackId`; an id a second receiver reports is repeated. */
  #noteOwner(trackId: string, receiverId: string): void {
    const owner = this.#trackOwners.get(trackId);
    if (owner === undefined) {
      this.#trackOwners.set(trackId, receiverId);
      if (this.#trackOwners.size > MAX_TRACK_IDS) {
        this.#trackOwners.delete(this.#trackOwners.keys().next().value as string);
      }
    } else if (owner !== receiverId) {
      this.#noteRepeated(trackId);
    }
  }

  #noteRepeated(trackId: string): void {
    this.#repeated.add(trackId);
    if (this.#repeated.size > MAX_TRACK_IDS) this.#repeated.delete(this.#repeated.values().next().value as string);
  }

  /**
   * Puts a marker on each tile that shows an unprotected or echoed remote track, and on no other. Returns true when an
   * unprotected track could not be told apart from another by its id, so no tile says which one it is.
   */
  #updateMarkers(list: TransformStats[]): boolean {
    const root = this.#root;
    if (root === undefined) return false;
    const onPage = this.#tracksOnPage();
    for (const [trackId, { tracks }] of onPage) if (tracks.size > 1) this.#noteRepeated(trackId);
    let unplaced = false;
    const wanted = new Map<HTMLVideoElement, Marker['kind']>();
    for (const s of list) {
      if (s.side !== 'receive' || s.trackId === undefined) continue;
      const kind: Marker['kind'] | undefined =
        s.status === 'unencrypted'
          ? 'unencrypted'
          : s.status === 'undecryptable'
            ? 'undecryptable'
            : s.echoed > 0
              ? 'echoed'
              : undefined;
      if (kind === undefined) continue;
      if (this.#repeated.has(s.trackId)) {
        // The id names no single tile: no marker rather than maybe one on another participant's tile (fail safe).
        // For unprotected media the status says that some participants are not encrypted.
        if (kind !== 'echoed') unplaced = true;
        continue;
      }
      for (const video of onPage.get(s.trackId)?.videos ?? []) {
        // A video with audio and video tracks: the worse state wins.
        const previous = wanted.get(video);
        if (previous === undefined || previous === 'echoed') wanted.set(video, kind);
      }
    }
    for (const [video, marker] of this.#markers) {
      if (wanted.get(video) !== marker.kind) {
        marker.element.remove();
        this.#markers.delete(video);
      }
    }
    for (const [video, kind] of wanted) {
      if (this.#markers.has(video)) continue;
      const element = document.createElement('div');
      element.className = `marker ${kind}`;
      const text =
        kind === 'unencrypted'
          ? t('indicator_marker_unencrypted')
          : kind === 'undecryptable'
            ? t('indicator_marker_undecryptable')
            : t('indicator_marker_echoed');
      element.textContent = `${kind === 'echoed' ? '↩' : '⚠'} ${text}`;
      element.setAttribute('role', 'note');
      element.setAttribute('aria-label', t('indicator_label', text));
      root.append(element);
      this.#markers.set(video, { kind, element });
    }
    this.#placeMarkers();
    return unplaced;
  }

  /** Puts each marker on the top-left corner of its video (hidden while the video is not on screen). */
  #placeMarkers(): void {
    for (const [video, marker] of this.#markers) {
      const box = video.isConnected ? video.getBoundingClientRect() : undefined;
      const visible = box !== undefined && box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0;
      marker.element.hidden = !visible;
      if (visible) {
        marker.element.style.left = `${Math.max(0, box.left) + 6}px`;
        marker.element.style.top = `${Math.max(0, box.top) + 6}px`;
      }
    }
  }
}
