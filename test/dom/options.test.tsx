/** @jsxImportSource preact */
/**
 * The options page's components in happy-dom, against a fake background (`fakeBrowser.runtime.sendMessage`): the
 * enable form (errors, generated passphrases, the permission asked for before anything is awaited), the site list
 * (rooms, safety words, room actions, problems), per-site settings, the About section, and every visible string
 * coming from the locale. The real thing, in Chromium, is test/browser/options.test.ts.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/options/App';
import { PROBLEM_KEYS, PROBLEM_TEXT, problemText } from '../../src/options/problems';
import type { SiteInfo, SiteProblem, UiRequest } from '../../src/shared/messages';
import { SITE_PROBLEMS, SITES_REVISION_KEY } from '../../src/shared/messages';
import { normalizeOrigin } from '../../src/shared/origin';
import { GENERATED_PASSPHRASE_WORDS, generatePassphrase, isListWord } from '../../src/shared/words';
import { t } from '../../src/ui/i18n';
import { parseRoomInput } from '../../src/ui/room-input';
import { originErrorText } from '../../src/ui/site-input';
import { fakeBrowser } from './fake-browser';
import { getMessage } from './i18n';
import { description, overrideBox } from './queries';

const MEET = 'https://meet.example.org';
const OTHER = 'http://127.0.0.1:8080';
const WORDS = ['apple', 'bacon', 'cable', 'daring', 'eagle'];
const STANDUP_WORDS = ['fabric', 'gadget', 'habit', 'icon', 'jacket'];

function site(origin: string, fields: Partial<SiteInfo> = {}): SiteInfo {
  return {
    origin,
    enabledAt: Date.UTC(2026, 0, 2, 3, 4),
    rooms: [{ label: '', keyedAt: Date.UTC(2026, 0, 2, 3, 4), safetyWords: WORDS }],
    activeRoom: '',
    strict: false,
    indicator: true,
    rememberKeys: true,
    problems: [],
    ...fields,
  };
}

type Answer = unknown | Promise<unknown>;

/**
 * A fake background: keeps the sites, answers `sites/list` from them, applies settings and room changes, and logs
 * every request (and, in `events`, every permission request too, in the order they came).
 */
class FakeBackground {
  sites: SiteInfo[];
  revoked: { origin: string; at: number }[] = [];
  requests: UiRequest[] = [];
  events: string[] = [];
  /** Answers to use instead of the default one, by request type (used once each). */
  overrides: Partial<Record<UiRequest['type'], (request: UiRequest) => Answer>> = {};

  constructor(sites: SiteInfo[]) {
    this.sites = sites;
  }

  handle = (message: unknown): Promise<unknown> => {
    const request = message as UiRequest;
    this.requests.push(request);
    this.events.push(`sendMessage:${request.type}`);
    const override = this.overrides[request.type];
    if (override !== undefined) {
      delete this.overrides[request.type];
      return Promise.resolve(override(request));
    }
    return Promise.resolve(this.answer(request));
  };

  /** Requests of `type` sent so far. */
  sent<T extends UiRequest['type']>(type: T): Extract<UiRequest, { type: T }>[] {
    return this.requests.filter((r): r is Extract<UiRequest, { type: T }> => r.type === type);
  }

  private update(origin: string, change: (site: SiteInfo) => SiteInfo): unknown {
    const index = this.sites.findIndex((s) => s.origin === origin);
    const current = this.sites[index];
    if (current === undefined) return { ok: false, error: `${origin} is not enabled.`, field: 'origin' };
    this.sites[index] = change(current);
    return { ok: true };
  }

  private answer(request: UiRequest): unknown {
    switch (request.type) {
      case 'sites/list':
        return { ok: true, sites: structuredClone(this.sites), revoked: this.revoked };
      case 'sites/settings':
        return this.update(request.origin, (s) => ({
          ...s,
          ...(request.strict !== undefined ? { strict: request.strict } : {}),
          ...(request.indicator !== undefined ? { indicator: request.indicator } : {}),
        }));
      case 'rooms/select':
        return this.update(request.origin, (s) => ({ ...s, activeRoom: request.room }));
      case 'rooms/forget':
        return this.update(request.origin, (s) => ({
          ...s,
          rooms: s.rooms.filter((r) => r.label !== request.room),
          activeRoom: s.activeRoom === request.room ? '' : s.activeRoom,
        }));
      case 'sites/disable':
        this.sites = this.sites.filter((s) => s.origin !== request.origin);
        return { ok: true };
      case 'sites/clear-problems':
        return this.update(request.origin, (s) => ({ ...s, problems: [] }));
      case 'sites/enable': {
        const room = (request.room ?? '').trim().toLowerCase();
        const existing = this.sites.find((s) => s.origin === request.origin);
        const entry = { label: room, keyedAt: Date.now(), safetyWords: WORDS };
        if (existing === undefined) {
          this.sites.push(site(request.origin, { rooms: [entry], activeRoom: room }));
        } else {
          existing.rooms = [...existing.rooms.filter((r) => r.label !== room), entry];
          existing.activeRoom = room;
        }
        return { ok: true };
      }
      default:
        return { ok: true };
    }
  }
}

let background: FakeBackground;
const originalBrowser = {
  sendMessage: fakeBrowser.runtime.sendMessage,
  request: fakeBrowser.permissions.request,
  remove: fakeBrowser.permissions.remove,
};

beforeEach(() => {
  background = new FakeBackground([]);
  fakeBrowser.runtime.sendMessage = vi.fn(background.handle);
  fakeBrowser.permissions.request = vi.fn(async (_: unknown) => {
    return true;
  });
  fakeBrowser.permissions.remove = vi.fn(async (_: unknown) => true);
});

afterEach(() => {
  cleanup();
  fakeBrowser.runtime.sendMessage = originalBrowser.sendMessage;
  fakeBrowser.permissions.request = originalBrowser.request;
  fakeBrowser.permissions.remove = originalBrowser.remove;
  vi.restoreAllMocks();
});

/** Renders the page over `sites` and waits until the list has loaded. */
async function renderPage(sites: SiteInfo[] = []): Promise<void> {
  background.sites = sites;
  render(<App />);
  await screen.findByRole('heading', { name: 'Enabled sites' });
  await waitFor(() => expect(screen.queryByText('Loading…')).toBeNull());
}

/** The list item of `origin` in the site list. */
function siteItem(origin: string): HTMLElement {
  const item = document.querySelector<HTMLElement>(`.site[data-origin="${CSS.escape(origin)}"]`);
  if (item === null) throw new Error(`${origin} is not listed`);
  return item;
}

/** The strength line under the passphrase. */
const strengthLine = (): string => document.getElementById('passphrase-strength')?.textContent ?? '';

/**
 * Types `text` into "Passphrase" and waits until the form has estimated it, as a person sees the strength line
 * appear: before that, Enable refuses a typed passphrase (the rule fails closed while the estimator loads).
 */
async function typePassphrase(user: ReturnType<typeof userEvent.setup>, text: string): Promise<void> {
  await user.type(screen.getByLabelText('Passphrase'), text);
  await waitFor(() => expect(strengthLine()).toMatch(/^Strength: (weak|strong)\./), { timeout: 10_000 });
}

const pageStatus = (): string => document.getElementById('page-status')?.textContent ?? '';

/** Every text and accessible label on the page: none may be a missing message (`⟦key⟧`). */
function everyVisibleString(): string {
  const attributes = [...document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')].flatMap((node) =>
    ['aria-label', 'title', 'placeholder', 'alt'].map((name) => node.getAttribute(name) ?? ''),
  );
  return [document.title, document.body.textContent ?? '', ...attributes].join('\n');
}

describe('options page strings', () => {
  it('come from the locale: no missing message anywhere, the title and language are set', async () => {
    background.revoked = [{ origin: 'https://gone.example.org', at: 1 }];
    await renderPage([
      site(MEET, {
        rooms: [
          { label: '', keyedAt: 1, safetyWords: WORDS },
          { label: 'standup', keyedAt: 2, safetyWords: STANDUP_WORDS },
        ],
        activeRoom: 'standup',
        problems: [...SITE_PROBLEMS],
      }),
      site(OTHER, { rooms: [] }),
    ]);
    const text = everyVisibleString();
    expect(text).not.toContain('⟦');
    expect(document.title).toBe('Framelock options');
    expect(document.documentElement.lang).toBe('en');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Framelock');
    // The origin in the notice is set apart, and the sentence around it is whole.
    const notice = document.querySelector('.notice p');
    expect(notice?.querySelector('strong')?.textContent).toBe('https://gone.example.org');
    expect(notice?.textContent).toBe(getMessage('options_revoked_notice', ['https://gone.example.org', 'Chrome']));
  });

  it('PROBLEM_TEXT, problemText() and the page say the same for every problem', async () => {
    await renderPage([site(MEET, { problems: [...SITE_PROBLEMS] })]);
    const shown = [...siteItem(MEET).querySelectorAll('.problem')].map((node) => node.textContent);
    expect(shown).toEqual(SITE_PROBLEMS.map((problem) => PROBLEM_TEXT[problem]));
    for (const problem of SITE_PROBLEMS) {
      expect(PROBLEM_TEXT[problem]).toBe(t(PROBLEM_KEYS[problem]));
      expect(problemText(problem)).toBe(PROBLEM_TEXT[problem]);
      expect(PROBLEM_TEXT[problem]).not.toMatch(/⟦/);
    }
    expect(Object.keys(PROBLEM_TEXT).sort()).toEqual([...SITE_PROBLEMS].sort());
    expect(within(siteItem(MEET)).getByRole('list', { name: `Problems on ${MEET}` })).toBeTruthy();
  });

  it('the problems only a call has (not_sending, older_peer) say what happened and what to do', async () => {
    await renderPage([site(MEET, { problems: ['older_peer', 'not_sending'] })]);
    expect([...siteItem(MEET).querySelectorAll('.problem')].map((node) => node.textContent)).toEqual([
      'Someone in a call on this site used an older Framelock, whose encryption is not forward secret: their audio and video could not be decrypted. Ask them to update Framelock.',
      'In a call on this site you sent no audio or video, so the others could not send you their keys, and you could not hear or see them. Keep your microphone on during calls (muted is fine). Pages that only let you watch (a screen share or broadcast viewer) cannot be end-to-end encrypted with Framelock yet.',
    ]);
  });

  it('every reason the shared site check gives is worded from the locale', () => {
    const cases: [input: string, key: string, substitutions?: string[]][] = [
      ['', 'options_origin_empty'],
      ['x'.repeat(301), 'options_origin_too_long', ['300']],
      ['meet example.org', 'options_origin_spaces'],
      ['https://*.example.org', 'options_origin_wildcard'],
      ['user:pw@example.org', 'options_origin_credentials'],
      ['ftp://meet.example.org', 'options_origin_scheme', ['ftp://']],
      ['mailto:someone', 'options_origin_scheme', ['mailto:']],
      ['https://meet.example.org/room/42', 'options_origin_path'],
      ['meet.example.org:abc', 'options_origin_invalid'],
      ['https:/meet.example.org', 'options_origin_invalid'],
    ];
    for (const [input, key, substitutions] of cases) {
      const result = normalizeOrigin(input);
      if (result.ok) throw new Error(`${JSON.stringify(input)} was accepted`);
      expect(originErrorText(result.error), JSON.stringify(input)).toBe(getMessage(key, substitutions));
    }
    expect(parseRoomInput('r'.repeat(65))).toEqual({ ok: false, error: getMessage('enable_room_too_long', ['64']) });
    expect(parseRoomInput('a\u200Bb')).toEqual({ ok: false, error: getMessage('enable_room_invisible') });
    expect(parseRoomInput('  Team   Standup ')).toEqual({ ok: true, label: 'team standup' });
  });
});

describe('enable form', () => {
  it('flags each bad field next to it, focuses the first, and asks nothing of Chrome or the background', async () => {
    await renderPage();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Enable' }));

    const siteField = screen.getByRole('textbox', { name: 'Site' });
    const passphraseField = screen.getByLabelText('Passphrase');
    expect(siteField.getAttribute('aria-invalid')).toBe('true');
    expect(description(siteField)).toContain("Enter the site's address");
    expect(passphraseField.getAttribute('aria-invalid')).toBe('true');
    expect(description(passphraseField)).toContain('Enter a passphrase, or generate one.');
    expect(document.activeElement).toBe(siteField);

    // A path in the site, a room name too long: each flagged in its own words; the first gets the focus.
    await user.type(siteField, 'https://meet.example.org/room');
    await user.type(screen.getByRole('textbox', { name: 'Room' }), 'r'.repeat(65));
    await typePassphrase(user, 'correct horse battery staple');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect(description(siteField)).toContain('without a path');
    expect(description(screen.getByRole('textbox', { name: 'Room' }))).toContain(
      'The room name is too long (at most 64 characters).',
    );
    expect(passphraseField.getAttribute('aria-invalid')).toBeNull();
    expect(document.activeElement).toBe(siteField);

    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(background.sent('sites/enable')).toEqual([]);
    // The first estimate loads zxcvbn and its dictionaries, which takes seconds in happy-dom.
  }, 20_000);

  it('"Generate passphrase" fills 12 list words, shows them, and says they are not stored', async () => {
    await renderPage();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    const field = screen.getByLabelText('Passphrase') as HTMLInputElement;
    const words = field.value.split(' ');
    expect(words).toHaveLength(GENERATED_PASSPHRASE_WORDS);
    expect(words.every(isListWord)).toBe(true);
    expect(field.type).toBe('text');
    expect(screen.getByRole('button', { name: 'Show passphrase' }).getAttribute('aria-pressed')).toBe('true');
    expect(document.getElementById('generated-notice')?.textContent).toMatch(/^Copy this passphrase now\. /);
    expect(description(field)).toContain('Framelock does not store it');
    expect(document.getElementById('passphrase-strength')?.textContent).toBe('Strength: strong (generated, 132 bits).');
    expect(pageStatus()).toBe(
      `A new passphrase of ${GENERATED_PASSPHRASE_WORDS} words is in the field. Copy it now: Framelock does not store it.`,
    );

    await user.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    expect(field.value).not.toBe(words.join(' '));
  });

  it('asks Chrome for the permission in the submit itself, before anything is awaited, then enables', async () => {
    await renderPage();
    const events: string[] = [];
    fakeBrowser.permissions.request = vi.fn((request: unknown) => {
      events.push(`permissions.request ${JSON.stringify(request)}`);
      return Promise.resolve(true);
    });
    const handle = background.handle;
    fakeBrowser.runtime.sendMessage = vi.fn((message: unknown) => {
      events.push(`sendMessage ${(message as UiRequest).type}`);
      return handle(message);
    });
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Site' }), 'Meet.Example.org');
    await user.type(screen.getByRole('textbox', { name: 'Room' }), 'Standup');
    await typePassphrase(user, 'correct horse battery staple');

    // A click is dispatched synchronously: whatever the handler does before its first await is done when it returns.
    queueMicrotask(() => events.push('first microtask'));
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(events).toEqual([`permissions.request {"origins":["https://meet.example.org:443/*"]}`]);

    await waitFor(() => expect(background.sent('sites/enable')).toHaveLength(1));
    expect(background.sent('sites/enable')[0]).toEqual({
      type: 'sites/enable',
      origin: MEET,
      passphrase: 'correct horse battery staple',
      room: 'standup',
    });
    expect(events.slice(0, 3)).toEqual([
      `permissions.request {"origins":["https://meet.example.org:443/*"]}`,
      'first microtask',
      'sendMessage sites/enable',
    ]);
    await waitFor(() =>
      expect(pageStatus()).toBe(
        `Framelock is on for ${MEET}, in room “standup”. Reload the site's open tabs to protect their calls, and compare the room words below with the other participants.`,
      ),
    );
    expect((screen.getByLabelText('Passphrase') as HTMLInputElement).value).toBe('');
    expect(siteItem(MEET)).toBeTruthy();
  });

  it('a refused permission is flagged on the site, and nothing is enabled', async () => {
    await renderPage();
    fakeBrowser.permissions.request = vi.fn(async () => false);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Site' }), OTHER);
    await typePassphrase(user, 'correct horse battery staple');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    const siteField = screen.getByRole('textbox', { name: 'Site' });
    await waitFor(() => expect(siteField.getAttribute('aria-invalid')).toBe('true'));
    expect(description(siteField)).toContain(
      `Framelock needs permission for ${OTHER} to protect calls there. Click “Enable” again and allow it.`,
    );
    expect(document.activeElement).toBe(siteField);
    expect(background.sent('sites/enable')).toEqual([]);
  });

  it("the background's refusal is shown (as an alert when it is about no field), and a new site's permission goes", async () => {
    await renderPage();
    background.overrides['sites/enable'] = () => ({ ok: false, error: 'The key could not be derived.' });
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Site' }), MEET);
    await typePassphrase(user, 'correct horse battery staple');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The key could not be derived.');
    expect(fakeBrowser.permissions.remove).toHaveBeenCalledWith({ origins: ['https://meet.example.org:443/*'] });
  });

  it('a typed weak passphrase gets an estimate and a warning, in the words of the locale', async () => {
    await renderPage();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Passphrase'), 'password1');
    const warning = document.getElementById('passphrase-warning');
    await waitFor(() => expect(warning?.textContent).toMatch(/^This passphrase is easy to guess\./), {
      timeout: 10_000,
    });
    expect(warning?.textContent).toContain('Use “Generate passphrase”, or at least five random words.');
    const strength = document.getElementById('passphrase-strength')?.textContent ?? '';
    expect(strength).toMatch(/^Strength: weak\. Someone with a recording of a call could guess it in .+\./);
    expect(everyVisibleString()).not.toContain('⟦');
  }, 20_000);
});

describe('enable form: the passphrase rule (a typed passphrase must be strong, or the user takes the risk)', () => {
  /** Fills in the site and types `passphrase`, waiting for its estimate. */
  async function fillForm(user: ReturnType<typeof userEvent.setup>, passphrase: string): Promise<void> {
    await user.type(screen.getByRole('textbox', { name: 'Site' }), MEET);
    await typePassphrase(user, passphrase);
  }

  it('a weak typed passphrase ("sunshine1"): Enable refuses, says why, and asks nothing of Chrome or the background', async () => {
    await renderPage();
    const user = userEvent.setup();
    await fillForm(user, 'sunshine1');
    const enable = screen.getByRole('button', { name: 'Enable' });
    expect(enable.getAttribute('aria-disabled')).toBe('true');
    await user.click(enable);

    const field = screen.getByLabelText('Passphrase');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(description(field)).toContain(
      'Not enabled: this passphrase is too easy to guess. Anyone who records a call can test guesses offline, as fast as their computers allow. Generate one, or tick “Use this weak passphrase anyway”.',
    );
    expect(document.activeElement).toBe(field);
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(background.sent('sites/enable')).toEqual([]);
    expect(document.querySelector('.site')).toBeNull();
    // The override is there, unticked, and its label says what the risk is.
    expect(overrideBox()?.checked).toBe(false);
    expect(screen.getByLabelText(/^Use this weak passphrase anyway/).closest('.passphrase-override')?.textContent).toBe(
      'Use this weak passphrase anyway: anyone who records a call can guess it offline.',
    );
  });

  it('a score-3 passphrase ("purple monkey", ~3 hours at 10,000 guesses a second) is below the bar too', async () => {
    await renderPage();
    const user = userEvent.setup();
    await fillForm(user, 'purple monkey');
    expect(strengthLine()).toMatch(/^Strength: weak\./);
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect(description(screen.getByLabelText('Passphrase'))).toContain(
      'Not enabled: this passphrase is too easy to guess.',
    );
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(background.sent('sites/enable')).toEqual([]);
  });

  it('ticking “Use this weak passphrase anyway” lets Enable go ahead with it', async () => {
    await renderPage();
    const user = userEvent.setup();
    await fillForm(user, 'sunshine1');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect(background.sent('sites/enable')).toEqual([]);

    await user.click(overrideBox()!);
    expect(overrideBox()?.checked).toBe(true);
    // The refusal no longer stands, and Enable is no longer marked unavailable.
    expect(description(screen.getByLabelText('Passphrase'))).not.toContain('Not enabled');
    const enable = screen.getByRole('button', { name: 'Enable' });
    expect(enable.getAttribute('aria-disabled')).toBeNull();
    await user.click(enable);
    await waitFor(() => expect(background.sent('sites/enable')).toHaveLength(1));
    expect(fakeBrowser.permissions.request).toHaveBeenCalledWith({ origins: ['https://meet.example.org:443/*'] });
    expect(background.sent('sites/enable')[0]).toMatchObject({ origin: MEET, passphrase: 'sunshine1' });
    await waitFor(() => expect(siteItem(MEET)).toBeTruthy());
    // The form is cleared, the override with it.
    expect(overrideBox()).toBeNull();
  });

  it('changing the passphrase unticks the override: the new text (or the old one typed again) is refused again', async () => {
    await renderPage();
    const user = userEvent.setup();
    await fillForm(user, 'sunshine1');
    await user.click(overrideBox()!);
    expect(overrideBox()?.checked).toBe(true);

    const field = screen.getByLabelText('Passphrase');
    await user.type(field, '2');
    await waitFor(() => expect(overrideBox()?.checked).toBe(false));
    expect(screen.getByRole('button', { name: 'Enable' }).getAttribute('aria-disabled')).toBe('true');
    // Back to the text it was given for: still unticked.
    await user.type(field, '{Backspace}');
    expect((field as HTMLInputElement).value).toBe('sunshine1');
    await waitFor(() => expect(strengthLine()).toMatch(/^Strength: weak\./));
    expect(overrideBox()?.checked).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect(description(field)).toContain('Not enabled: this passphrase is too easy to guess.');
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(background.sent('sites/enable')).toEqual([]);
  });

  it('a strong typed passphrase enables at once, with no override offered; the weaker text before it did not', async () => {
    await renderPage();
    const user = userEvent.setup();
    await fillForm(user, 'purple monkey');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect(background.sent('sites/enable')).toEqual([]);

    await typePassphrase(user, ' tangerine quarrel lantern');
    await waitFor(() => expect(strengthLine()).toMatch(/^Strength: strong\./));
    expect(overrideBox()).toBeNull();
    expect(screen.getByRole('button', { name: 'Enable' }).getAttribute('aria-disabled')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(background.sent('sites/enable')).toHaveLength(1));
    expect(background.sent('sites/enable')[0]).toMatchObject({ passphrase: 'purple monkey tangerine quarrel lantern' });
  });

  it('a generated passphrase enables at once, with no estimate to wait for; a weak one typed over it does not', async () => {
    await renderPage();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Site' }), MEET);
    await typePassphrase(user, 'letmein');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    expect(background.sent('sites/enable')).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    const generated = (screen.getByLabelText('Passphrase') as HTMLInputElement).value;
    expect(overrideBox()).toBeNull();
    // At once: no estimate of a generated passphrase is needed, so none is waited for.
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(fakeBrowser.permissions.request).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(background.sent('sites/enable')).toHaveLength(1));
    expect(background.sent('sites/enable')[0]).toMatchObject({ passphrase: generated });
  });

  it('a pasted passphrase in the generated format is typed text: it is estimated, not labelled generated', async () => {
    await renderPage();
    const user = userEvent.setup();
    const words = generatePassphrase();
    await user.click(screen.getByLabelText('Passphrase'));
    await user.paste(words);
    await waitFor(() => expect(strengthLine()).toMatch(/^Strength: strong\. Someone with a recording/), {
      timeout: 10_000,
    });
    expect(strengthLine()).not.toContain('generated');
    expect(document.getElementById('generated-notice')).toBeNull();
  });
});

describe('site list', () => {
  const twoRooms = (): SiteInfo =>
    site(MEET, {
      rooms: [
        { label: 'standup', keyedAt: 2, safetyWords: STANDUP_WORDS },
        { label: '', keyedAt: 1, safetyWords: WORDS },
      ],
      activeRoom: 'standup',
    });

  it('lists rooms (default first) with their safety words and the one in use', async () => {
    await renderPage([twoRooms(), site(OTHER, { rooms: [], problems: ['worker_blocked'] })]);
    const rooms = within(siteItem(MEET)).getByRole('list', { name: `Rooms on ${MEET}` });
    const items = [...rooms.querySelectorAll('.room')];
    expect(items.map((item) => item.querySelector('.room-label')?.textContent)).toEqual(['Default room', 'standup']);
    expect(items.map((item) => item.querySelector('.safety-words')?.textContent)).toEqual([
      WORDS.join(' · '),
      STANDUP_WORDS.join(' · '),
    ]);
    expect(items.map((item) => item.querySelector('.room-in-use')?.textContent ?? null)).toEqual([null, 'In use']);
    // "Use this room" only for rooms not in use, "Forget" for each; each described by its room's name.
    const use = within(siteItem(MEET)).getAllByRole('button', { name: 'Use this room' });
    expect(use.map(description)).toEqual(['Default room']);
    const forget = within(siteItem(MEET)).getAllByRole('button', { name: 'Forget' });
    expect(forget.map(description)).toEqual(['Default room', 'standup']);
    expect(within(siteItem(MEET)).getByRole('button', { name: 'Disable' }).getAttribute('aria-describedby')).toBe(
      'site-0-origin',
    );

    // A site without a room says its calls carry no media; its problem is in plain words.
    expect(siteItem(OTHER).querySelector('.no-room')?.textContent).toBe(
      'No passphrase is set for this site, so calls on it carry no media until you enter one above (in “Enable a site”).',
    );
    expect(siteItem(OTHER).querySelector('.problem')?.textContent).toBe(PROBLEM_TEXT.worker_blocked);
    expect(siteItem(MEET).querySelector('.site-ok')?.textContent).toBe('No problems reported so far.');
  });

  it('"Use this room" and "Forget" send the right requests, say what happened, and keep the focus in place', async () => {
    await renderPage([twoRooms()]);
    const user = userEvent.setup();
    await user.click(within(siteItem(MEET)).getByRole('button', { name: 'Use this room' }));
    await waitFor(() =>
      expect(pageStatus()).toMatch(/^The default room is in use on https:\/\/meet\.example\.org now/),
    );
    expect(background.sent('rooms/select')).toEqual([{ type: 'rooms/select', origin: MEET, room: '' }]);
    expect(document.activeElement?.textContent).toBe('Default room');
    expect(siteItem(MEET).querySelector('.room.in-use .room-label')?.textContent).toBe('Default room');

    const forgetStandup = within(siteItem(MEET))
      .getAllByRole('button', { name: 'Forget' })
      .find((button) => description(button) === 'standup');
    if (forgetStandup === undefined) throw new Error('no Forget button for standup');
    await user.click(forgetStandup);
    await waitFor(() => expect(pageStatus()).toMatch(/^Forgot room “standup” on https:\/\/meet\.example\.org/));
    expect(background.sent('rooms/forget')).toEqual([{ type: 'rooms/forget', origin: MEET, room: 'standup' }]);
    expect([...siteItem(MEET).querySelectorAll('.room-label')].map((node) => node.textContent)).toEqual([
      'Default room',
    ]);
  });

  it('a refused room request is reported, with the room and site', async () => {
    await renderPage([twoRooms()]);
    background.overrides['rooms/select'] = () => ({ ok: false, error: 'That room has no passphrase on this site.' });
    await userEvent.setup().click(within(siteItem(MEET)).getByRole('button', { name: 'Use this room' }));
    await waitFor(() =>
      expect(pageStatus()).toBe(
        `Could not switch to the default room on ${MEET}: That room has no passphrase on this site.`,
      ),
    );
  });

  it('a site’s problems can be cleared; for a site blocked for tampering, the button says it allows calls again', async () => {
    await renderPage([
      site(MEET, { problems: ['tampering_blocked', 'encryption_removed'] }),
      site(OTHER, { problems: ['worker_blocked'] }),
    ]);
    const user = userEvent.setup();
    const allow = within(siteItem(MEET)).getByRole('button', {
      name: 'Allow calls on this site again and clear these problems',
    });
    expect(allow.getAttribute('aria-describedby')).toBe('site-0-problems');
    expect(within(siteItem(OTHER)).getByRole('button', { name: 'Clear these problems' })).toBeTruthy();
    await user.click(allow);
    await waitFor(() =>
      expect(pageStatus()).toBe(
        `Calls on ${MEET} are allowed again from the next time its pages load. If it removes the encryption again, Framelock blocks it again.`,
      ),
    );
    expect(background.sent('sites/clear-problems')).toEqual([{ type: 'sites/clear-problems', origin: MEET }]);
    expect(siteItem(MEET).querySelector('.site-ok')?.textContent).toBe('No problems reported so far.');
    expect(document.activeElement?.id).toBe('sites-heading');

    background.overrides['sites/clear-problems'] = () => ({ ok: false, error: 'Storage failed.' });
    await user.click(within(siteItem(OTHER)).getByRole('button', { name: 'Clear these problems' }));
    await waitFor(() => expect(pageStatus()).toBe(`Could not clear the problems of ${OTHER}: Storage failed.`));
    expect(siteItem(OTHER).querySelector('.problem')?.textContent).toBe(PROBLEM_TEXT.worker_blocked);
  });

  it('reads the sites again when the background says a site changed (a problem reported while the page is open)', async () => {
    type StorageListener = (changes: Record<string, unknown>, area: string) => void;
    const listeners = new Set<StorageListener>();
    const original = fakeBrowser.storage.onChanged;
    fakeBrowser.storage.onChanged = {
      addListener: (listener: StorageListener) => listeners.add(listener),
      removeListener: (listener: StorageListener) => listeners.delete(listener),
      hasListener: () => false,
    } as unknown as typeof original;
    try {
      await renderPage([site(MEET)]);
      expect(siteItem(MEET).querySelector('.site-ok')?.textContent).toBe('No problems reported so far.');
      background.sites = [site(MEET, { problems: ['tampering_blocked', 'encryption_removed'] })];
      const lists = background.sent('sites/list').length;
      // Other keys (tab statuses change every second in a call) and other areas are not a reason to read again.
      for (const listener of listeners) {
        listener({ 'tab:3': { newValue: {} } }, 'session');
        listener({ [SITES_REVISION_KEY]: { newValue: 1 } }, 'local');
      }
      expect(background.sent('sites/list')).toHaveLength(lists);
      for (const listener of listeners) listener({ [SITES_REVISION_KEY]: { newValue: 2 } }, 'session');
      await waitFor(() =>
        expect(
          within(siteItem(MEET)).getByRole('button', {
            name: 'Allow calls on this site again and clear these problems',
          }),
        ).toBeTruthy(),
      );
      expect(background.sent('sites/list')).toHaveLength(lists + 1);
      cleanup();
      await waitFor(() => expect(listeners.size).toBe(0));
    } finally {
      fakeBrowser.storage.onChanged = original;
    }
  });

  it('Disable sends sites/disable, removes the permission and says so', async () => {
    await renderPage([site(MEET), site(OTHER)]);
    await userEvent.setup().click(within(siteItem(MEET)).getByRole('button', { name: 'Disable' }));
    await waitFor(() =>
      expect(pageStatus()).toBe(
        `Framelock is off for ${MEET}: its room keys are erased, and its permission for the site is removed.`,
      ),
    );
    expect(background.sent('sites/disable')).toEqual([{ type: 'sites/disable', origin: MEET }]);
    expect(fakeBrowser.permissions.remove).toHaveBeenCalledWith({ origins: ['https://meet.example.org:443/*'] });
    expect(document.querySelector(`.site[data-origin="${MEET}"]`)).toBeNull();
    expect(document.activeElement?.id).toBe('sites-heading');
  });
});

describe('site settings', () => {
  const strictBox = (origin: string) =>
    within(siteItem(origin)).getByRole('checkbox', { name: 'Strict mode' }) as HTMLInputElement;
  const indicatorBox = (origin: string) =>
    within(siteItem(origin)).getByRole('checkbox', { name: 'In-page indicator' }) as HTMLInputElement;
  const settingsStatus = (origin: string) => siteItem(origin).querySelector('.settings-status');

  it('show the stored values, each labelled and explained', async () => {
    await renderPage([site(MEET), site(OTHER, { strict: true, indicator: false })]);
    expect([strictBox(MEET).checked, indicatorBox(MEET).checked]).toEqual([false, true]);
    expect([strictBox(OTHER).checked, indicatorBox(OTHER).checked]).toEqual([true, false]);
    expect(description(strictBox(MEET))).toBe(
      'Drop all incoming audio and video that is not end-to-end encrypted, instead of showing it with a warning. People calling without Framelock can then not be seen or heard.',
    );
    expect(description(indicatorBox(MEET))).toMatch(/remove or fake.*toolbar badge and its popup are the authority/);
    expect(within(siteItem(MEET)).getByRole('group', { name: 'Settings' })).toBeTruthy();
    expect(settingsStatus(MEET)?.getAttribute('role')).toBe('status');
  });

  it('send sites/settings with only the setting changed, and show the stored value after', async () => {
    await renderPage([site(MEET), site(OTHER)]);
    const user = userEvent.setup();

    await user.click(strictBox(MEET));
    await waitFor(() => expect(settingsStatus(MEET)?.textContent).toBe('Saved: strict mode is on.'));
    expect(background.sent('sites/settings')).toEqual([{ type: 'sites/settings', origin: MEET, strict: true }]);
    expect(strictBox(MEET).checked).toBe(true);
    expect(background.sites.find((s) => s.origin === MEET)?.strict).toBe(true);

    await user.click(indicatorBox(MEET));
    await waitFor(() => expect(settingsStatus(MEET)?.textContent).toMatch(/^Saved: the in-page indicator is off\./));
    expect(background.sent('sites/settings')[1]).toEqual({ type: 'sites/settings', origin: MEET, indicator: false });
    expect(indicatorBox(MEET).checked).toBe(false);

    // With the keyboard alone: Space on the focused box.
    strictBox(MEET).focus();
    await user.keyboard(' ');
    await waitFor(() => expect(settingsStatus(MEET)?.textContent).toMatch(/^Saved: strict mode is off\./));
    expect(background.sent('sites/settings')[2]).toEqual({ type: 'sites/settings', origin: MEET, strict: false });
    expect(strictBox(MEET).checked).toBe(false);
    expect(document.activeElement).toBe(strictBox(MEET));

    // The other site was left alone.
    expect([strictBox(OTHER).checked, indicatorBox(OTHER).checked]).toEqual([false, true]);
    expect(settingsStatus(OTHER)?.textContent).toBe('');
  });

  it('while saving, show the new value and ignore clicks; a refusal puts the stored value back and says why', async () => {
    await renderPage([site(MEET)]);
    let answer: (value: unknown) => void = () => undefined;
    background.overrides['sites/settings'] = () => new Promise((resolve) => (answer = resolve));
    const user = userEvent.setup();

    await user.click(strictBox(MEET));
    expect(strictBox(MEET).checked).toBe(true);
    expect(strictBox(MEET).getAttribute('aria-disabled')).toBe('true');
    expect(settingsStatus(MEET)?.textContent).toBe('Saving…');
    await user.click(indicatorBox(MEET));
    expect(indicatorBox(MEET).checked).toBe(true);
    expect(background.sent('sites/settings')).toHaveLength(1);

    await act(async () => answer({ ok: false, error: `${MEET} is not enabled.` }));
    await waitFor(() =>
      expect(settingsStatus(MEET)?.textContent).toBe(`Could not save the setting: ${MEET} is not enabled.`),
    );
    expect(settingsStatus(MEET)?.classList.contains('error')).toBe(true);
    expect(strictBox(MEET).checked).toBe(false);
    expect(strictBox(MEET).getAttribute('aria-disabled')).toBeNull();
  });
});

describe('About', () => {
  it('explains what is protected, what is not, the trade-offs, and which signal to trust', async () => {
    await renderPage();
    const heading = screen.getByRole('heading', { name: 'About Framelock', level: 2 });
    const section = heading.closest('section');
    if (section === null) throw new Error('About is not a section');
    expect(section.getAttribute('aria-labelledby')).toBe(heading.id);
    const text = section.textContent ?? '';
    for (const expected of [
      /site's servers, the media server that relays the call \(SFU\), anyone on the network, and anyone who gets a recording/,
      /the site's code can capture it/,
      /Metadata: who is in the call, who talks when/,
      /size and timing/,
      /any participant can pretend to be another, and the media server can swap the videos between tiles/,
      /with keys made afresh for each call\. The passphrase is not the key: it proves who belongs in the call/,
      /A recording stays closed even to someone who learns the passphrase later: each call's keys are erased when it ends \(forward secrecy\)/,
      /the call words, that nobody stands in the middle of the call/,
      /Later calls, once the passphrase is out/,
      /a guessed passphrase opens no recording, but lets them into your later calls/,
      /Recordings the server makes cannot be played, not even with the passphrase/,
      /A participant who shares the passphrase/,
      /Framelock takes a passphrase you type only if it estimates it hard to guess, or if you tick that you accept the risk/,
      /server-side recording, transcription, live captions, noise suppression/,
      /in-page indicator is drawn inside the site's page, so that page can remove it or fake it/,
      /toolbar badge and its popup are the authority/,
    ]) {
      expect(text).toMatch(expected);
    }
    // The full threat model ships with the extension (test/unit/docs.test.ts checks the page the build emits).
    const link = within(section).getByRole('link', { name: 'the full threat model' });
    expect(link.getAttribute('href')).toBe('/docs/threat-model.html');
    expect(link.getAttribute('rel')).toBe('noopener');
    expect(link.closest('p')?.textContent).toBe(
      'Everything Framelock protects and does not protect, and every check between its parts, is in the full threat model.',
    );
    expect(
      within(section)
        .getAllByRole('heading', { level: 3 })
        .map((h) => h.textContent),
    ).toEqual([
      'What is protected',
      'What is not protected',
      'What you give up while it is on',
      'Where to check that a call is protected',
    ]);
  });
});

/** Problems the type system knows: a new one must get a message too. */
const _everyProblemHasAKey: Record<SiteProblem, string> = PROBLEM_KEYS;
void _everyProblemHasAKey;
