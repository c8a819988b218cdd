/**
 * The in-page indicator (src/content/indicator.ts) in happy-dom: what it says for each call state, which video tiles
 * it marks, that its host takes no room and no clicks, and that it goes when switched off. The extension uses a
 * closed shadow root; these tests open it to read what was drawn.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Indicator } from '../../src/content/indicator';
import type { TransformStats } from '../../src/shared/messages';
import { transformStats } from '../transform-stats';

class FakeMediaStream {
  readonly #tracks: { id: string }[];
  constructor(tracks: { id: string }[]) {
    this.#tracks = tracks;
  }
  getTracks() {
    return this.#tracks;
  }
}

beforeAll(() => {
  (globalThis as unknown as { MediaStream: unknown }).MediaStream = FakeMediaStream;
});

afterEach(() => {
  document.querySelector('framelock-indicator')?.remove();
  document.body.innerHTML = '';
});

function stats(
  id: string,
  side: 'send' | 'receive',
  status: TransformStats['status'],
  extra: Partial<TransformStats> = {},
): TransformStats {
  return transformStats({ id, side, status, ...extra });
}

/** A `<video>` showing a stream of `tracks` (a new track for each id given as a string). */
function video(...tracks: (string | { id: string })[]): HTMLVideoElement {
  return media('video', tracks) as HTMLVideoElement;
}

let nextLeft = 0;

/**
 * A media element showing a stream of `tracks`, laid out at its own place (happy-dom has no layout): a marker is put
 * at its video's corner, so its position says which video it marks.
 */
function media(tag: 'video' | 'audio', tracks: (string | { id: string })[]): HTMLMediaElement {
  const element = document.createElement(tag);
  const stream = new FakeMediaStream(tracks.map((track) => (typeof track === 'string' ? { id: track } : track)));
  Object.defineProperty(element, 'srcObject', { value: stream });
  nextLeft += 200;
  const left = nextLeft;
  element.getBoundingClientRect = () => DOMRect.fromRect({ x: left, y: 10, width: 160, height: 90 });
  document.body.append(element);
  return element;
}

/** The text of the marker on each of `videos` (undefined: none). */
function markersOn(...videos: HTMLVideoElement[]): (string | undefined)[] {
  const root = (document.querySelector('framelock-indicator') as HTMLElement | null)?.shadowRoot;
  const markers = [...(root?.querySelectorAll<HTMLElement>('.marker') ?? [])];
  return videos.map((v) => {
    const left = `${v.getBoundingClientRect().left + 6}px`;
    const on = markers.filter((m) => m.style.left === left);
    expect(on.length).toBeLessThanOrEqual(1);
    return on[0]?.textContent ?? undefined;
  });
}

function drawn() {
  const host = document.querySelector('framelock-indicator') as HTMLElement | null;
  const root = host?.shadowRoot;
  return {
    host,
    status: root?.querySelector('[role="status"]')?.textContent ?? undefined,
    markers: [...(root?.querySelectorAll('.marker') ?? [])].map((m) => m.textContent),
  };
}

describe('Indicator', () => {
  it('draws nothing before a call, then the call’s state in a host that takes no room and no clicks', () => {
    const indicator = new Indicator({ shadowMode: 'open' });
    expect(drawn().host).toBeNull();
    indicator.update([stats('s', 'send', 'waiting')]);
    expect(drawn().status).toBe('… Framelock: waiting for keys');
    indicator.update([stats('s', 'send', 'encrypted'), stats('r', 'receive', 'encrypted')]);
    const { host, status } = drawn();
    expect(status).toBe('🔒 End-to-end encrypted');
    expect(host?.getAttribute('style')).toMatch(/pointer-events: none !important/);
    expect(host?.getAttribute('style')).toMatch(/width: 0 !important; height: 0 !important/);
    expect(host?.parentElement).toBe(document.documentElement); // outside the site's body
  });

  it('the extension’s root is closed: the page gets no handle on it', () => {
    new Indicator().update([stats('s', 'send', 'encrypted')]);
    const host = document.querySelector('framelock-indicator') as HTMLElement;
    expect(host).not.toBeNull();
    expect(host.shadowRoot).toBeNull();
  });

  it('marks the tiles of unprotected and echoed remote tracks only, and unmarks them when they recover', () => {
    const indicator = new Indicator({ shadowMode: 'open' });
    const tiles = [video('track-plain'), video('track-ok'), video('track-echo'), video('track-wrong-key')];
    indicator.update([
      stats('r1', 'receive', 'unencrypted', { trackId: 'track-plain' }),
      stats('r2', 'receive', 'encrypted', { trackId: 'track-ok' }),
      stats('r3', 'receive', 'encrypted', { trackId: 'track-echo', echoed: 5 }),
      stats('r4', 'receive', 'undecryptable', { trackId: 'track-wrong-key' }),
    ]);
    expect(drawn().status).toBe('⚠ Some media is NOT end-to-end encrypted');
    expect(markersOn(...tiles)).toEqual([
      '⚠ NOT encrypted',
      undefined,
      '↩ Your own media, echoed back',
      '⚠ Cannot decrypt (wrong passphrase?)',
    ]);
    indicator.update([
      stats('r1', 'receive', 'encrypted', { trackId: 'track-plain' }),
      stats('r4', 'receive', 'encrypted', { trackId: 'track-wrong-key' }),
    ]);
    expect(drawn().markers).toEqual(['↩ Your own media, echoed back']);
    expect(drawn().status).toBe('🔒 End-to-end encrypted');
  });

  it('marks every tile that shows one unprotected track (a large view and a thumbnail), and only those', () => {
    const indicator = new Indicator({ shadowMode: 'open' });
    const track = { id: 'track-plain' };
    const tiles = [video(track), video('track-ok'), video(track)];
    indicator.update([
      stats('r1', 'receive', 'unencrypted', { trackId: 'track-plain' }),
      stats('r2', 'receive', 'encrypted', { trackId: 'track-ok' }),
    ]);
    expect(markersOn(...tiles)).toEqual(['⚠ NOT encrypted', undefined, '⚠ NOT encrypted']);
    expect(drawn().status).toBe('⚠ Some media is NOT end-to-end encrypted');
  });

  describe('when receivers’ track ids repeat (Janus names every subscription’s tracks janus0 and janus1)', () => {
    const UNPLACED = '⚠ Some participants are NOT end-to-end encrypted; their tiles cannot be marked';

    it('marks no tile, not the decrypted one and not the plaintext one, and says so in the status', () => {
      const indicator = new Indicator({ shadowMode: 'open' });
      const alice = video('janus0', 'janus1');
      const mallory = video('janus0', 'janus1');
      indicator.update([
        stats('alice-audio', 'receive', 'encrypted', { kind: 'audio', trackId: 'janus0' }),
        stats('alice-video', 'receive', 'encrypted', { trackId: 'janus1' }),
        stats('mallory-audio', 'receive', 'unencrypted', { kind: 'audio', trackId: 'janus0' }),
        stats('mallory-video', 'receive', 'unencrypted', { trackId: 'janus1' }),
      ]);
      expect(markersOn(alice, mallory)).toEqual([undefined, undefined]);
      expect(drawn().markers).toEqual([]);
      expect(drawn().status).toBe(UNPLACED);
    });

    it('marks no tile while only one of the receivers has reported, if the page shows two tracks of that id', () => {
      const indicator = new Indicator({ shadowMode: 'open' });
      const alice = video('janus1');
      const mallory = video('janus1');
      indicator.update([stats('mallory-video', 'receive', 'unencrypted', { trackId: 'janus1' })]);
      expect(markersOn(alice, mallory)).toEqual([undefined, undefined]);
      expect(drawn().status).toBe(UNPLACED);
    });

    it('counts a track of that id in an <audio> element too', () => {
      const indicator = new Indicator({ shadowMode: 'open' });
      const tile = video('janus0', 'janus1');
      media('audio', ['janus0']);
      indicator.update([stats('mallory-audio', 'receive', 'unencrypted', { kind: 'audio', trackId: 'janus0' })]);
      expect(markersOn(tile)).toEqual([undefined]);
      expect(drawn().status).toBe(UNPLACED);
    });

    it('keeps an id that once repeated unmarked after the other tile and receiver are gone', () => {
      const indicator = new Indicator({ shadowMode: 'open' });
      const alice = video('janus1');
      const mallory = video('janus1');
      indicator.update([
        stats('alice-video', 'receive', 'encrypted', { trackId: 'janus1' }),
        stats('mallory-video', 'receive', 'unencrypted', { trackId: 'janus1' }),
      ]);
      mallory.remove();
      // A new receiver reuses the id before the page shows its track: which receiver's track the tile holds, the id
      // cannot say.
      indicator.update([stats('dave-video', 'receive', 'unencrypted', { trackId: 'janus1' })]);
      expect(markersOn(alice)).toEqual([undefined]);
      expect(drawn().status).toBe(UNPLACED);
    });

    it('puts no echo marker on such a tile either, and an echo alone is no warning', () => {
      const indicator = new Indicator({ shadowMode: 'open' });
      const tiles = [video('janus1'), video('janus1')];
      indicator.update([
        stats('alice-video', 'receive', 'encrypted', { trackId: 'janus1' }),
        stats('echo-video', 'receive', 'encrypted', { trackId: 'janus1', echoed: 5 }),
      ]);
      expect(markersOn(...tiles)).toEqual([undefined, undefined]);
      expect(drawn().status).toBe('🔒 End-to-end encrypted');
    });

    it('still marks the tile of a track whose id is unique, next to the ambiguous ones', () => {
      const indicator = new Indicator({ shadowMode: 'open' });
      const tiles = [video('janus1'), video('janus1'), video('dave-video-track')];
      indicator.update([
        stats('alice-video', 'receive', 'encrypted', { trackId: 'janus1' }),
        stats('mallory-video', 'receive', 'unencrypted', { trackId: 'janus1' }),
        stats('dave-video', 'receive', 'unencrypted', { trackId: 'dave-video-track' }),
      ]);
      expect(markersOn(...tiles)).toEqual([undefined, undefined, '⚠ NOT encrypted']);
      expect(drawn().status).toBe(UNPLACED);
    });
  });

  it('turns to a warning on a problem that leaves media unprotected', () => {
    const indicator = new Indicator({ shadowMode: 'open' });
    indicator.update([stats('s', 'send', 'encrypted')]);
    indicator.noteProblem();
    expect(drawn().status).toBe('⚠ Some media is NOT end-to-end encrypted');
  });

  it('goes away when switched off, stays away while off, and comes back when switched on', () => {
    const indicator = new Indicator({ shadowMode: 'open' });
    indicator.update([stats('s', 'send', 'encrypted')]);
    indicator.setEnabled(false);
    expect(drawn().host).toBeNull();
    indicator.update([stats('s', 'send', 'encrypted')]);
    expect(drawn().host).toBeNull();
    indicator.setEnabled(true);
    expect(drawn().status).toBe('🔒 End-to-end encrypted');
  });

  it('follows scrolling and resizing until its signal aborts, then leaves window alone', () => {
    // Frames run at once, so every listening indicator (earlier tests' too) asks for one at every event.
    const frames = vi.spyOn(globalThis, 'requestAnimationFrame').mockImplementation((run) => {
      run(0);
      return 0;
    });
    const askedOn = (event: Event): number => {
      frames.mockClear();
      window.dispatchEvent(event);
      return frames.mock.calls.length;
    };
    try {
      const before = askedOn(new Event('resize'));
      const teardown = new AbortController();
      new Indicator({ shadowMode: 'open', signal: teardown.signal });
      expect(askedOn(new Event('resize'))).toBe(before + 1);
      expect(askedOn(new Event('scroll'))).toBe(before + 1);
      teardown.abort();
      expect(askedOn(new Event('resize'))).toBe(before);
      expect(askedOn(new Event('scroll'))).toBe(before);
    } finally {
      frames.mockRestore();
    }
  });
});
