/** @jsxImportSource preact */
/**
 * The popup (src/popup) rendered in happy-dom against a fake background: its states (not a site, not enabled,
 * enabled with calls that are encrypted, undecryptable, unencrypted, blocked by strict mode, echoed; a call's words and
 * keys, and the problems only a call has), the order of the permission request and `sites/enable`, sharing a generated
 * passphrase (QR code, invitation without the passphrase, clipboard), turning a site off, and the room chooser.
 */
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { receiveRows, senderIdOf } from '../../src/popup/calls';
import { invitationText, revealsPassphrase } from '../../src/popup/invitation';
import { Popup } from '../../src/popup/Popup';
import { qrMatrix } from '../../src/popup/qr';
import type { CallStatus, SiteInfo, TabStatus, TransformStats, UiRequest } from '../../src/shared/messages';
import { generatePassphrase } from '../../src/shared/words';
import { transformStats } from '../transform-stats';
import { fakeBrowser } from './fake-browser';
import { description, overrideBox } from './queries';

const ORIGIN = 'https://meet.example.org';
const PATTERN = 'https://meet.example.org:443/*';
const TAB_ID = 7;
const WORDS = ['apple', 'banana', 'cherry', 'delta', 'eagle'];

const original = {
  sendMessage: fakeBrowser.runtime.sendMessage,
  request: fakeBrowser.permissions.request,
  remove: fakeBrowser.permissions.remove,
  query: fakeBrowser.tabs.query,
  reload: fakeBrowser.tabs.reload,
};

/** What the fake background holds, and every call the popup made (extension API calls and requests, in order). */
interface Backend {
  sites: SiteInfo[];
  status: TabStatus[];
  calls: string[];
  requests: UiRequest[];
  /** Answer to `sites/enable` (default: ok, and the site is listed with one room). */
  enableAnswer?: { ok: false; error: string; field?: 'passphrase' | 'room' | 'origin' };
}

let backend: Backend;
let clipboard: string[];

function site(overrides: Partial<SiteInfo> = {}): SiteInfo {
  return {
    origin: ORIGIN,
    enabledAt: 1_700_000_000_000,
    rooms: [{ label: '', keyedAt: 1_700_000_000_000, safetyWords: WORDS }],
    activeRoom: '',
    strict: false,
    indicator: true,
    rememberKeys: true,
    problems: [],
    ...overrides,
  };
}

function stats(overrides: Partial<TransformStats> & Pick<TransformStats, 'id' | 'side' | 'kind'>): TransformStats {
  return transformStats(overrides);
}

function tabStatus(transforms: TransformStats[], overrides: Partial<TabStatus> = {}): TabStatus {
  return { tabId: TAB_ID, origin: ORIGIN, transforms, problems: [], room: '', updatedAt: Date.now(), ...overrides };
}

/** Our audio and video, encrypting. */
const SENDING = [
  stats({ id: '0/s1', side: 'send', kind: 'audio', protected: 500, status: 'encrypted', codec: 'audio/opus' }),
  stats({ id: '0/s2', side: 'send', kind: 'video', protected: 300, status: 'encrypted', codec: 'video/VP8' }),
];

beforeEach(() => {
  backend = { sites: [], status: [], calls: [], requests: [] };
  clipboard = [];
  fakeBrowser.runtime.sendMessage = async (message: unknown) => {
    const request = message as UiRequest;
    backend.requests.push(request);
    backend.calls.push(request.type);
    switch (request.type) {
      case 'sites/list':
        return { ok: true, sites: backend.sites, revoked: [] };
      case 'status/get':
        return { ok: true, tabs: backend.status };
      case 'sites/enable':
        if (backend.enableAnswer) return backend.enableAnswer;
        backend.sites = [site({ rooms: [{ label: request.room ?? '', keyedAt: 1, safetyWords: WORDS }] })];
        return { ok: true };
      case 'sites/disable':
        backend.sites = [];
        return { ok: true };
      case 'sites/clear-problems':
        backend.sites = backend.sites.map((s) => ({ ...s, problems: [] }));
        return { ok: true };
      case 'sites/settings':
        backend.sites = backend.sites.map((s) => ({
          ...s,
          ...(request.strict === undefined ? {} : { strict: request.strict }),
        }));
        return { ok: true };
      default:
        return { ok: true };
    }
  };
  fakeBrowser.permissions.request = vi.fn(async (_: unknown) => {
    backend.calls.push('permissions.request');
    return true;
  });
  fakeBrowser.permissions.remove = vi.fn(async (_: unknown) => {
    backend.calls.push('permissions.remove');
    return true;
  });
  fakeBrowser.tabs.query = async () => [{ id: TAB_ID, url: `${ORIGIN}/call/42?x=1` }];
  fakeBrowser.tabs.reload = vi.fn(async (_: unknown) => undefined);
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: {
      writeText: vi.fn(async (text: string) => {
        clipboard.push(text);
      }),
    },
  });
});

afterEach(() => {
  cleanup();
  Object.assign(fakeBrowser.runtime, { sendMessage: original.sendMessage });
  Object.assign(fakeBrowser.permissions, { request: original.request, remove: original.remove });
  Object.assign(fakeBrowser.tabs, { query: original.query, reload: original.reload });
  delete (fakeBrowser.tabs as { get?: unknown }).get;
  delete (fakeBrowser.runtime as { openOptionsPage?: unknown }).openOptionsPage;
});

function renderPopup(search = '') {
  return render(<Popup search={search} transformSupported refreshMs={50} />);
}

const theSwitch = () => screen.findByRole('switch', { name: 'Encrypt calls on this site' });

/** The strength line under the passphrase. */
const strengthLine = (): string => document.getElementById('passphrase-strength')?.textContent ?? '';

/**
 * Puts `text` into "Passphrase" as typed text and waits until the form has estimated it, as a person sees the strength
 * line appear: before that, Enable refuses a typed passphrase (the rule fails closed while the estimator loads).
 */
async function enterPassphrase(text: string): Promise<void> {
  fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: text } });
  await waitFor(() => expect(strengthLine()).toMatch(/^Strength: (weak|strong)\./), { timeout: 10_000 });
}

describe('popup: tabs and sites', () => {
  it('a page that is not a web site: says Framelock only works on web sites, offers no switch', async () => {
    fakeBrowser.tabs.query = async () => [{ id: TAB_ID, url: 'chrome://extensions/' }];
    renderPopup();
    expect(await screen.findByText(/only works on web sites/)).toBeTruthy();
    expect(screen.queryByRole('switch')).toBeNull();
    expect(screen.getByRole('button', { name: 'All settings' })).toBeTruthy();
  });

  it('a site that is not enabled: the switch is off and says so; no call panel', async () => {
    renderPopup();
    const toggle = await theSwitch();
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    expect(screen.getByText(ORIGIN)).toBeTruthy();
    expect(screen.getByText(/^Off:/)).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Call in this tab' })).toBeNull();
  });

  it('?tabId=<n> is about tab n (tabs.get), not the active tab', async () => {
    const get = vi.fn(async (id: number) => ({ id, url: 'http://127.0.0.1:8080/?room=x' }));
    Object.assign(fakeBrowser.tabs, { get });
    renderPopup('?tabId=42');
    await theSwitch();
    expect(get).toHaveBeenCalledWith(42);
    expect(screen.getByText('http://127.0.0.1:8080')).toBeTruthy();
  });

  it('?tabId=<n> without tabs.get (or without the URL): says it cannot read the address', async () => {
    renderPopup('?tabId=42');
    expect(await screen.findByText(/cannot read the address/)).toBeTruthy();
    expect(screen.queryByRole('switch')).toBeNull();
  });

  it('"All settings" opens the options page', async () => {
    const openOptionsPage = vi.fn(async () => undefined);
    Object.assign(fakeBrowser.runtime, { openOptionsPage });
    renderPopup();
    await theSwitch();
    fireEvent.click(screen.getByRole('button', { name: 'All settings' }));
    expect(openOptionsPage).toHaveBeenCalledOnce();
  });

  it('warns when this browser cannot transform media at all', async () => {
    render(<Popup search="" transformSupported={false} refreshMs={50} />);
    expect(await screen.findByText(/cannot encrypt call media/)).toBeTruthy();
  });
});

describe('popup: enabling a site', () => {
  it('turning the switch on opens the setup with the same control names as the options page', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    expect((await theSwitch()).getAttribute('aria-checked')).toBe('true');
    expect(screen.getByLabelText('Passphrase')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Show passphrase' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Generate passphrase' })).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Room' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Enable' })).toBeTruthy();
    // Nothing to share before a passphrase exists.
    expect(screen.queryByRole('button', { name: 'Copy invitation' })).toBeNull();
    // Turning it off again closes the setup without asking the background anything.
    fireEvent.click(await theSwitch());
    expect(screen.queryByLabelText('Passphrase')).toBeNull();
    expect(backend.calls).not.toContain('sites/disable');
  });

  it('Enable asks for the permission synchronously in the click, before any await, then sends sites/enable', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    const passphrase = (screen.getByLabelText('Passphrase') as HTMLInputElement).value;
    expect(passphrase.split(' ')).toHaveLength(12);
    fireEvent.input(screen.getByRole('textbox', { name: 'Room' }), { target: { value: '  Team  Standup ' } });

    const before = backend.calls.length;
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    // Synchronously, in the click: the permission request, and the request to the background, which waits for the
    // permission (Chrome may close the popup while its prompt is up).
    expect(backend.calls.slice(before)).toEqual(['permissions.request', 'sites/enable']);
    expect(fakeBrowser.permissions.request).toHaveBeenCalledWith({ origins: [PATTERN] });

    await screen.findByRole('button', { name: 'Reload the tab' });
    expect(backend.calls.slice(before, before + 2)).toEqual(['permissions.request', 'sites/enable']);
    expect(backend.requests.find((r) => r.type === 'sites/enable')).toEqual({
      type: 'sites/enable',
      origin: ORIGIN,
      passphrase,
      room: 'team standup',
      waitForPermission: true,
    });
    expect(backend.calls).not.toContain('permissions.remove');
    expect((await theSwitch()).getAttribute('aria-checked')).toBe('true');
    expect(screen.getByText(/Framelock is on for this site/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Reload the tab' }));
    expect(fakeBrowser.tabs.reload).toHaveBeenCalledWith(TAB_ID);
    // The passphrase can still be shared while the popup is open.
    expect(screen.getByRole('button', { name: 'Copy passphrase' })).toBeTruthy();
  });

  it('a typed passphrase: Enable still asks for the permission first; the share offer follows', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('correct horse battery staple');
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(backend.calls.slice(-2)).toEqual(['permissions.request', 'sites/enable']);
    await screen.findByRole('button', { name: 'Copy invitation' });
    expect(backend.requests.find((r) => r.type === 'sites/enable')).toMatchObject({
      passphrase: 'correct horse battery staple',
      room: '',
    });
    // The first estimate loads zxcvbn and its dictionaries, which takes seconds in happy-dom.
  }, 20_000);

  it('an empty passphrase is refused before the permission is asked for', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Enter the passphrase, or generate one/)).toBeTruthy();
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(screen.getByLabelText('Passphrase'));
  });

  it('a refused permission cancels the background’s wait: nothing is enabled', async () => {
    fakeBrowser.permissions.request = vi.fn(async () => false);
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/needs permission for https:\/\/meet.example.org/)).toBeTruthy();
    await waitFor(() => expect(backend.calls).toContain('sites/cancel-enable'));
    expect(backend.requests.find((r) => r.type === 'sites/cancel-enable')).toEqual({
      type: 'sites/cancel-enable',
      origin: ORIGIN,
    });
  });

  it('when the background refuses, the permission just added is removed again', async () => {
    backend.enableAnswer = { ok: false, error: 'Storage is full.' };
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Storage is full/)).toBeTruthy();
    await waitFor(() => expect(fakeBrowser.permissions.remove).toHaveBeenCalledWith({ origins: [PATTERN] }));
    // It first checks that no enabled site holds the same permission (in Firefox one covers a whole host).
    expect(backend.calls.slice(-4)).toEqual([
      'permissions.request',
      'sites/enable',
      'sites/list',
      'permissions.remove',
    ]);
  });

  it('when the background refuses, a permission an enabled site holds too is kept (Firefox: one per host)', async () => {
    backend.enableAnswer = { ok: false, error: 'Firefox cannot keep these apart.' };
    backend.sites = [site({ origin: 'https://elsewhere.example' })];
    const pattern = 'https://elsewhere.example:443/*';
    const { matchPatternFor } = await import('../../src/shared/origin');
    vi.spyOn(await import('../../src/shared/origin'), 'matchPatternFor').mockImplementation((origin) =>
      origin === ORIGIN || origin === 'https://elsewhere.example' ? pattern : matchPatternFor(origin),
    );
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/cannot keep these apart/)).toBeTruthy();
    await waitFor(() => expect(backend.calls.at(-1)).toBe('sites/list'));
    expect(fakeBrowser.permissions.remove).not.toHaveBeenCalled();
  });

  it('a site enabled whose room has no key shows the passphrase form with a plain explanation', async () => {
    backend.sites = [site({ rooms: [], problems: ['no_room_key'] })];
    renderPopup();
    const toggle = await theSwitch();
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    expect(await screen.findByText(/default room has no passphrase/)).toBeTruthy();
    expect(screen.getByLabelText('Passphrase')).toBeTruthy();
    await enterPassphrase('correct horse battery staple');
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    await screen.findByText(/The passphrase of the default room is set/);
    // The site was enabled already: no reload needed, and a failure would not have removed its permission.
    expect(screen.queryByRole('button', { name: 'Reload the tab' })).toBeNull();
  });
});

describe('popup: the passphrase rule (a typed passphrase must be strong, or the user takes the risk)', () => {
  it('a weak typed passphrase ("sunshine1"): Enable refuses, says why, and asks nothing of Chrome or the background', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('sunshine1');
    const enable = screen.getByRole('button', { name: 'Enable' });
    expect(enable.getAttribute('aria-disabled')).toBe('true');
    const before = backend.calls.length;
    fireEvent.click(enable);

    const field = screen.getByLabelText('Passphrase');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(description(field)).toContain(
      'Not enabled: this passphrase is too easy to guess. Anyone who records a call can test guesses offline, as fast as their computers allow. Generate one, or tick “Use this weak passphrase anyway”.',
    );
    expect(document.activeElement).toBe(field);
    expect(backend.calls.slice(before)).toEqual([]);
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(backend.sites).toEqual([]);
    expect(overrideBox()?.checked).toBe(false);
    expect(screen.getByLabelText(/^Use this weak passphrase anyway/).closest('.passphrase-override')?.textContent).toBe(
      'Use this weak passphrase anyway: anyone who records a call can guess it offline.',
    );
  }, 20_000);

  it('a score-3 passphrase ("purple monkey") is below the bar too', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('purple monkey');
    expect(strengthLine()).toMatch(/^Strength: weak\./);
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Not enabled: this passphrase is too easy to guess/)).toBeTruthy();
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(backend.calls).not.toContain('sites/enable');
  });

  it('ticking “Use this weak passphrase anyway” lets Enable go ahead with it', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('sunshine1');
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Not enabled: this passphrase is too easy to guess/)).toBeTruthy();

    fireEvent.click(overrideBox()!);
    await waitFor(() => expect(overrideBox()?.checked).toBe(true));
    expect(screen.queryByText(/Not enabled/)).toBeNull();
    expect(screen.getByRole('button', { name: 'Enable' }).getAttribute('aria-disabled')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(backend.calls.slice(-2)).toEqual(['permissions.request', 'sites/enable']);
    expect(backend.requests.find((r) => r.type === 'sites/enable')).toMatchObject({ passphrase: 'sunshine1' });
    await screen.findByRole('button', { name: 'Copy invitation' });
  });

  it('changing the passphrase unticks the override: the new text (or the old one again) is refused again', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('sunshine1');
    fireEvent.click(overrideBox()!);
    await waitFor(() => expect(overrideBox()?.checked).toBe(true));

    await enterPassphrase('sunshine12');
    await waitFor(() => expect(overrideBox()?.checked).toBe(false));
    expect(screen.getByRole('button', { name: 'Enable' }).getAttribute('aria-disabled')).toBe('true');
    await enterPassphrase('sunshine1');
    expect(overrideBox()?.checked).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Not enabled: this passphrase is too easy to guess/)).toBeTruthy();
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(backend.calls).not.toContain('sites/enable');
  });

  it('a strong typed passphrase enables at once, with no override offered; the weaker text before it did not', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('purple monkey');
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Not enabled: this passphrase is too easy to guess/)).toBeTruthy();
    expect(backend.calls).not.toContain('sites/enable');

    await enterPassphrase('purple monkey tangerine quarrel lantern');
    await waitFor(() => expect(strengthLine()).toMatch(/^Strength: strong\./));
    expect(overrideBox()).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(backend.calls.slice(-2)).toEqual(['permissions.request', 'sites/enable']);
    expect(backend.requests.find((r) => r.type === 'sites/enable')).toMatchObject({
      passphrase: 'purple monkey tangerine quarrel lantern',
    });
  });

  it('a generated passphrase enables at once, with no estimate to wait for; a weak one typed over it does not', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase('letmein');
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/Not enabled: this passphrase is too easy to guess/)).toBeTruthy();
    expect(backend.calls).not.toContain('sites/enable');

    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    const generated = (screen.getByLabelText('Passphrase') as HTMLInputElement).value;
    expect(overrideBox()).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(backend.calls.slice(-2)).toEqual(['permissions.request', 'sites/enable']);
    expect(backend.requests.find((r) => r.type === 'sites/enable')).toMatchObject({ passphrase: generated });
  });

  it('a pasted passphrase in the generated format is typed text: it is estimated, not labelled generated', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    await enterPassphrase(generatePassphrase());
    expect(strengthLine()).toMatch(/^Strength: strong\. Guessing it from a recorded call would take/);
    expect(strengthLine()).not.toContain('generated');
  });
});

describe('popup: sharing a passphrase', () => {
  /** Generates a passphrase in the popup (in `room`), and enables the site with it. */
  async function generateAndEnable(room = ''): Promise<string> {
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    const passphrase = (screen.getByLabelText('Passphrase') as HTMLInputElement).value;
    fireEvent.input(screen.getByRole('textbox', { name: 'Room' }), { target: { value: room } });
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    await screen.findByRole('region', { name: 'Share the passphrase' });
    return passphrase;
  }

  it('Generate says to share the passphrase now (it is not stored), and offers to copy it at once', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    const passphrase = (screen.getByLabelText('Passphrase') as HTMLInputElement).value;
    expect(screen.getByText(/Framelock does not store it/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Copy passphrase' }));
    await waitFor(() => expect(clipboard).toEqual([passphrase]));
    expect(await screen.findByText(/Copied the passphrase/)).toBeTruthy();
  });

  it('once enabled, the share says the passphrase is not stored and must travel by another channel', async () => {
    await generateAndEnable();
    const share = screen.getByRole('region', { name: 'Share the passphrase' });
    expect(within(share).getByText(/another channel than this site/)).toBeTruthy();
    expect(within(share).getByText(/does not store it and cannot show it again/)).toBeTruthy();
    expect(within(share).getByText(/never in the site's own chat/)).toBeTruthy();
    // The heading of the panel that replaced the form has focus (the Enable button is gone).
    expect(document.activeElement?.textContent).toBe('Framelock is on for this site');
  });

  it('"Show QR code" renders the passphrase as a labelled QR code, with a warning about shared screens', async () => {
    const passphrase = await generateAndEnable();
    expect(screen.queryByRole('img', { name: 'QR code of the passphrase' })).toBeNull();
    const button = screen.getByRole('button', { name: 'Show QR code' });
    fireEvent.click(button);
    expect(button.getAttribute('aria-pressed')).toBe('true');
    const qr = screen.getByRole('img', { name: 'QR code of the passphrase' });
    expect(qr.tagName.toLowerCase()).toBe('svg');
    expect(qr.querySelector('path')?.getAttribute('d')).toBe(qrMatrix(passphrase).path);
    expect(screen.getByText(/never show it on a shared screen/)).toBeTruthy();
    fireEvent.click(button);
    expect(screen.queryByRole('img', { name: 'QR code of the passphrase' })).toBeNull();
  });

  it('"Copy passphrase" copies the passphrase; "Copy invitation" copies the site and room, never the passphrase', async () => {
    const passphrase = await generateAndEnable('Standup');
    const share = screen.getByRole('region', { name: 'Share the passphrase' });
    fireEvent.click(within(share).getByRole('button', { name: 'Copy passphrase' }));
    await waitFor(() => expect(clipboard).toEqual([passphrase]));
    expect(await within(share).findByText(/Copied the passphrase/)).toBeTruthy();

    fireEvent.click(within(share).getByRole('button', { name: 'Copy invitation' }));
    await waitFor(() => expect(clipboard).toHaveLength(2));
    const invitation = clipboard[1] as string;
    expect(invitation).toContain(ORIGIN);
    expect(invitation).toContain('“standup”');
    expect(invitation).toMatch(/Install the Framelock browser extension/);
    expect(invitation).toMatch(/separately, by another channel/);
    expect(invitation).not.toContain(passphrase);
    // Not even three of its words in a row.
    const words = passphrase.split(' ');
    for (let i = 0; i + 3 <= words.length; i++) expect(invitation).not.toContain(words.slice(i, i + 3).join(' '));
    expect(await within(share).findByText(/Copied the invitation/)).toBeTruthy();
  });

  it('the invitation is refused when the room name holds the passphrase', async () => {
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.input(screen.getByRole('textbox', { name: 'Room' }), { target: { value: 'Blue  Lagoon' } });
    // A weak passphrase (and the room's own name): enabled only through the override, as a user would have to.
    await enterPassphrase('blue lagoon');
    fireEvent.click(overrideBox()!);
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Copy invitation' }));
    expect(await screen.findByText(/Not copied: the invitation would contain the passphrase/)).toBeTruthy();
    expect(clipboard).toEqual([]);
  });

  it('a failing clipboard is reported', async () => {
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: vi.fn(async () => Promise.reject(new Error('denied'))) },
    });
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Generate passphrase' }));
    fireEvent.click(screen.getByRole('button', { name: 'Copy passphrase' }));
    expect(await screen.findByText(/Could not copy/)).toBeTruthy();
  });
});

describe('invitation text', () => {
  it('never contains the passphrase, whatever the site and room', () => {
    for (let i = 0; i < 50; i++) {
      const passphrase = generatePassphrase();
      for (const room of ['', 'standup', 'équipe 42']) {
        const text = invitationText(ORIGIN, room);
        expect(text).not.toContain(passphrase);
        expect(revealsPassphrase(text, passphrase)).toBe(false);
        expect(text).toContain(ORIGIN);
        if (room !== '') expect(text).toContain(room);
      }
    }
  });

  it('flags a text that holds the passphrase, in any case or spacing', () => {
    expect(revealsPassphrase('join room Correct  Horse battery staple', 'correct horse battery staple')).toBe(true);
    expect(revealsPassphrase('join room standup', 'correct horse battery staple')).toBe(false);
    expect(revealsPassphrase('anything', '   ')).toBe(false);
  });
});

describe('popup: strict mode, one click away', () => {
  it('says plainly that unencrypted media plays by default, and one click blocks it on this site', async () => {
    backend.sites = [site()];
    renderPopup();
    const box = (await screen.findByRole('checkbox', {
      name: 'Block unencrypted media on this site',
    })) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(
      screen.getByText(/^Off \(the default\): audio and video that is not end-to-end encrypted still plays/),
    ).toBeTruthy();
    expect(screen.getByText(/server can use the same way to add media of its own/)).toBeTruthy();
    fireEvent.click(box);
    await waitFor(() =>
      expect(backend.requests.find((r) => r.type === 'sites/settings')).toEqual({
        type: 'sites/settings',
        origin: ORIGIN,
        strict: true,
      }),
    );
    await waitFor(() => expect(box.checked).toBe(true));
    expect(
      await screen.findByText(/^On: audio and video that is not end-to-end encrypted is never shown or played/),
    ).toBeTruthy();
  });

  it('is not offered on a site that is not enabled', async () => {
    renderPopup();
    await theSwitch();
    expect(screen.queryByRole('checkbox', { name: 'Block unencrypted media on this site' })).toBeNull();
  });
});

describe('popup: the call panel', () => {
  function enabledWith(transforms: TransformStats[], overrides: Partial<TabStatus> = {}, siteInfo = site()) {
    backend.sites = [siteInfo];
    backend.status = [tabStatus(transforms, overrides), tabStatus([], { tabId: 99 })];
    renderPopup();
  }

  const rows = (name: string): HTMLElement[] =>
    within(screen.getByRole('list', { name })).getAllByRole('listitem') as HTMLElement[];

  it('enabled, no call yet: safety words and the room; the panel says there is no call', async () => {
    enabledWith([]);
    expect((await theSwitch()).getAttribute('aria-checked')).toBe('true');
    expect(await screen.findByText(/No call in this tab yet/)).toBeTruthy();
    expect(screen.getByText(/^The words of the default room./)).toBeTruthy();
    const words = document.querySelector('.safety-words')?.textContent;
    expect(words).toBe(WORDS.join(' · '));
  });

  it('an encrypted call: your media encrypting, participants encrypted, with frame counts', async () => {
    enabledWith([
      ...SENDING,
      stats({ id: '0/r1', side: 'receive', kind: 'audio', protected: 480, status: 'encrypted' }),
      stats({ id: '0/r2', side: 'receive', kind: 'video', protected: 1234, status: 'encrypted' }),
    ]);
    expect(await screen.findByText(/End-to-end encrypted: the site sees only ciphertext/)).toBeTruthy();
    const sent = rows('Your media');
    expect(sent).toHaveLength(2);
    expect(sent.map((r) => r.textContent)).toEqual([
      expect.stringMatching(/^Audio · opusFrames encrypted: 500Encrypting ✓$/),
      expect.stringMatching(/^Video · VP8Frames encrypted: 300Encrypting ✓$/),
    ]);
    const received = rows('Participants');
    expect(received.map((r) => r.textContent)).toEqual([
      expect.stringMatching(/^AudioFrames decrypted: 480Encrypted ✓$/),
      expect.stringMatching(/^VideoFrames decrypted: 1,234Encrypted ✓$/),
    ]);
  });

  it('our media waiting for its key', async () => {
    enabledWith([stats({ id: '0/s1', side: 'send', kind: 'video', dropped: 12, status: 'waiting' })]);
    await screen.findByText(/Waiting for key: nothing is sent/);
    expect(rows('Your media')[0]?.textContent).toMatch(/Frames encrypted: 0 · Dropped: 12/);
  });

  it('one undecryptable peer: "cannot decrypt (wrong passphrase?)" and a warning', async () => {
    enabledWith([
      ...SENDING,
      stats({ id: '0/r1', side: 'receive', kind: 'video', undecryptable: 90, status: 'undecryptable' }),
    ]);
    expect(await screen.findByText('Cannot decrypt (wrong passphrase?)')).toBeTruthy();
    expect(rows('Participants')[0]?.textContent).toMatch(/^VideoUndecryptable: 90/);
    expect(screen.getByText(/not all media in this call is end-to-end encrypted/)).toBeTruthy();
  });

  it('an undecryptable peer whose clock is off says so, and the clock problem is explained', async () => {
    enabledWith(
      [stats({ id: '0/r1', side: 'receive', kind: 'video', undecryptable: 9, status: 'undecryptable', clockSkew: 3 })],
      { problems: ['clock_skew'], clockSkew: 3 },
    );
    expect(await screen.findByText('Cannot decrypt: a clock is off')).toBeTruthy();
    expect(screen.getByText(/about 30 minutes away/)).toBeTruthy();
  });

  it(`one unencrypted peer: "NOT encrypted (no Framelock, or the server's own)", and who can have sent it`, async () => {
    enabledWith([
      ...SENDING,
      stats({ id: '0/r1', side: 'receive', kind: 'video', unencrypted: 77, status: 'unencrypted' }),
    ]);
    expect(await screen.findByText("NOT encrypted (no Framelock, or the server's own)")).toBeTruthy();
    expect(rows('Participants')[0]?.textContent).toMatch(/^VideoNot encrypted: 77/);
    expect(screen.getByText(/not all media in this call is end-to-end encrypted/)).toBeTruthy();
    // The note names both possible senders, and what a mixing server does to the user's own voice.
    const note = document.getElementById('unencrypted-note')?.textContent ?? '';
    expect(note).toMatch(/does not use Framelock/);
    expect(note).toMatch(/the site's server made it/);
    expect(note).toMatch(/the others hear silence from you/);
  });

  it('no note about unencrypted media while every participant is encrypted', async () => {
    enabledWith([
      ...SENDING,
      stats({ id: '0/r1', side: 'receive', kind: 'video', protected: 30, status: 'encrypted' }),
    ]);
    expect(await screen.findByText('Encrypted ✓')).toBeTruthy();
    expect(document.getElementById('unencrypted-note')).toBeNull();
  });

  it('strict mode: the unencrypted peer is "blocked (strict mode)"', async () => {
    enabledWith(
      [
        ...SENDING,
        stats({
          id: '0/r1',
          side: 'receive',
          kind: 'video',
          unencrypted: 50,
          dropped: 50,
          status: 'unencrypted',
          strict: true,
        }),
      ],
      {},
      site({ strict: true }),
    );
    expect(await screen.findByText('NOT encrypted: blocked (strict mode)')).toBeTruthy();
    expect(screen.getByText(/^Strict mode blocks media here/)).toBeTruthy();
  });

  it('plaintext injected into an encrypted stream is flagged, blocked, and the verdict warns', async () => {
    enabledWith([
      ...SENDING,
      stats({
        id: '0/r1',
        side: 'receive',
        kind: 'video',
        protected: 300,
        unencrypted: 40,
        status: 'unencrypted',
        injected: true,
        byKid: [{ kid: '13402468251357003012', protected: 300, undecryptable: 0 }],
      }),
    ]);
    expect(await screen.findByText('NOT encrypted media sent into this encrypted stream: blocked')).toBeTruthy();
    expect(screen.getByText(/not all media in this call is end-to-end encrypted/)).toBeTruthy();
  });

  it('our own media echoed back is pointed out', async () => {
    enabledWith([
      stats({ id: '0/r1', side: 'receive', kind: 'audio', protected: 20, echoed: 15, status: 'encrypted' }),
    ]);
    expect(await screen.findByText('Your own media echoed back: 15 frames')).toBeTruthy();
  });

  it('several remote senders on one track get a row each; one sender across epochs is one row', async () => {
    const kid = (epoch: number, sender: bigint) => ((0b1100n << 60n) | (BigInt(epoch) << 56n) | sender).toString();
    enabledWith([
      stats({
        id: '0/r1',
        side: 'receive',
        kind: 'video',
        protected: 30,
        undecryptable: 5,
        status: 'encrypted',
        byKid: [
          { kid: kid(1, 5n), protected: 10, undecryptable: 0 },
          { kid: kid(2, 5n), protected: 20, undecryptable: 0 },
          { kid: kid(2, 9n), protected: 0, undecryptable: 5 },
        ],
      }),
      stats({
        id: '0/r2',
        side: 'receive',
        kind: 'audio',
        protected: 30,
        status: 'encrypted',
        byKid: [
          { kid: kid(1, 7n), protected: 10, undecryptable: 0 },
          { kid: kid(2, 7n), protected: 20, undecryptable: 0 },
        ],
      }),
    ]);
    await screen.findByText(/not all media in this call/);
    expect(rows('Participants').map((r) => r.textContent)).toEqual([
      expect.stringMatching(/^Video 1Frames decrypted: 30Encrypted ✓$/),
      expect.stringMatching(/^Video 2Undecryptable: 5✕ Cannot decrypt/),
      expect.stringMatching(/^AudioFrames decrypted: 30Encrypted ✓$/),
    ]);
    expect(senderIdOf(kid(3, 5n))).toBe(5n);
    expect(senderIdOf('not a kid')).toBeUndefined();
  });

  it('tab problems appear as a plain warning', async () => {
    enabledWith([], { problems: ['worker_blocked'] });
    expect(await screen.findByText(/security policy blocks Framelock's worker/)).toBeTruthy();
    expect(screen.getByText(/not all media in this call is end-to-end encrypted/)).toBeTruthy();
  });

  it('a site blocked for removing the encryption: says so, and the user can allow its calls again, then reload', async () => {
    backend.sites = [site({ problems: ['tampering_blocked', 'encryption_removed'] })];
    backend.status = [tabStatus([], { problems: ['tampering_blocked'] })];
    renderPopup();
    expect(await screen.findByText(/blocks them on every page of the site, reloads included/)).toBeTruthy();
    const allow = screen.getByRole('button', { name: 'Allow calls on this site again' });
    expect(allow.getAttribute('aria-describedby')).toBe('allow-calls-hint');
    expect(screen.getByText(/Only if you trust this site again/).id).toBe('allow-calls-hint');
    expect(backend.calls).not.toContain('sites/clear-problems');
    fireEvent.click(allow);
    expect(await screen.findByText(/reload the tab to call/)).toBeTruthy();
    expect(backend.requests).toContainEqual({ type: 'sites/clear-problems', origin: ORIGIN });
    expect(screen.queryByRole('button', { name: 'Allow calls on this site again' })).toBeNull();
    // This page's calls stay ended: the tab's own problem stays listed until it reloads.
    expect(screen.getByText(/blocks them on every page of the site/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Reload the tab' }));
    await waitFor(() => expect(fakeBrowser.tabs.reload).toHaveBeenCalledWith(TAB_ID));
    await waitFor(() => expect(screen.queryByText(/reload the tab to call/)).toBeNull());
  });

  it('no "allow again" button for problems that block nothing', async () => {
    backend.sites = [site({ problems: ['encryption_removed'] })];
    renderPopup();
    await screen.findByText(/Framelock restored it at once/);
    expect(screen.queryByRole('button', { name: 'Allow calls on this site again' })).toBeNull();
  });

  it('follows the tab status as it changes (polling)', async () => {
    enabledWith([]);
    await screen.findByText(/No call in this tab yet/);
    backend.status = [
      tabStatus([stats({ id: '0/r1', side: 'receive', kind: 'audio', protected: 3, status: 'encrypted' })]),
    ];
    expect(await screen.findByText('Encrypted ✓')).toBeTruthy();
  });

  it('ignores other tabs', () => {
    const rowsOf = receiveRows([stats({ id: '1/a', side: 'receive', kind: 'audio', status: 'unencrypted' })]);
    expect(rowsOf[0]?.status).toBe('unencrypted');
  });
});

describe('popup: the keys of a call (per-call words, fingerprints)', () => {
  const CALL_WORDS = ['fossil', 'harbor', 'lemon', 'orbit', 'velvet'];

  function call(overrides: Partial<CallStatus> = {}): CallStatus {
    return {
      words: CALL_WORDS,
      you: 'calm lynx',
      sending: true,
      members: [
        { fingerprint: 'quiet otter', keyed: true },
        { fingerprint: 'brave heron', keyed: false },
      ],
      ...overrides,
    };
  }

  function inCall(calls: CallStatus[], overrides: Partial<TabStatus> = {}) {
    backend.sites = [site()];
    backend.status = [tabStatus(SENDING, { calls: calls.map((c, i) => ({ frameId: i * 3, call: c })), ...overrides })];
    renderPopup();
  }

  const keyRows = () =>
    within(screen.getByRole('list', { name: 'Keys in this call' }))
      .getAllByRole('listitem')
      .map((row) => row.textContent);

  it('shows the call words with what to do if they differ, you first, then each participant keyed or waiting', async () => {
    inCall([call()]);
    expect(await screen.findByRole('heading', { name: 'Call words' })).toBeTruthy();
    expect(document.querySelector('.call-words')?.textContent).toBe(CALL_WORDS.join(' · '));
    expect(
      screen.getByText(
        'Compare them aloud: everyone in this call should see the same words. Different words mean someone may be listening in: hang up.',
      ),
    ).toBeTruthy();
    expect(keyRows()).toEqual(['You: calm lynx', 'quiet otterKeys received ✓', 'brave heronWaiting for keys']);
    const [, keyed, waiting] = document.querySelectorAll('.key-row');
    expect(keyed?.getAttribute('data-keyed')).toBe('true');
    expect(waiting?.getAttribute('data-keyed')).toBe('false');
  });

  it('a call with no one else yet says so, and has no call words', async () => {
    inCall([call({ words: undefined, members: [] })]);
    expect(await screen.findByText(/^No one else's keys yet\./)).toBeTruthy();
    expect(document.querySelector('.call-words')).toBeNull();
    expect(keyRows()).toEqual(['You: calm lynx']);
  });

  it('tells the call words from the room words: each says what it shows', async () => {
    inCall([call()]);
    await screen.findByRole('heading', { name: 'Call words' });
    expect(screen.getByRole('heading', { name: 'Room words' })).toBeTruthy();
    expect(document.querySelector('.safety-words')?.textContent).toBe(WORDS.join(' · '));
    expect(
      screen.getByText(
        'The words of the default room: the same for everyone who entered the same passphrase and room. In a call, compare the call words: only they show that nobody is listening in.',
      ),
    ).toBeTruthy();
    // The call's words come first, with the call; the room's stay where they were, below it.
    const [callWords, roomWords] = [document.querySelector('.call-words'), document.querySelector('.safety-words')];
    expect(callWords?.compareDocumentPosition(roomWords as Node)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
  });

  it('several calls in one tab (one per frame) are numbered', async () => {
    inCall([call(), call({ you: 'amber finch', words: ['acid', 'bench', 'cider', 'drift', 'ember'] })]);
    expect(await screen.findByRole('heading', { name: 'Call words, call 1' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Call words, call 2' })).toBeTruthy();
    expect([...document.querySelectorAll('.call-words')].map((p) => p.id)).toEqual(['call-0-words', 'call-1-words']);
    expect(screen.getByText('You: amber finch')).toBeTruthy();
  });

  it('no call words without a call', async () => {
    backend.sites = [site()];
    backend.status = [tabStatus(SENDING)];
    renderPopup();
    await screen.findByText(/End-to-end encrypted/);
    expect(screen.queryByRole('heading', { name: 'Call words' })).toBeNull();
    expect(screen.queryByRole('list', { name: 'Keys in this call' })).toBeNull();
  });

  it.each([
    [
      'not_sending',
      'You are not sending audio or video, so the others cannot send you their keys, and you cannot hear or see them. Turn your microphone on (muted is fine). A page that only lets you watch (a screen share or broadcast viewer) cannot be end-to-end encrypted with Framelock yet.',
    ],
    [
      'older_peer',
      'Someone in this call uses an older Framelock whose encryption is not forward secret. Their audio and video cannot be decrypted until they update.',
    ],
  ] as const)('%s: a plain warning that says what to do, and the verdict warns', async (problem, text) => {
    inCall([call({ sending: problem !== 'not_sending' })], { problems: [problem] });
    const item = await screen.findByText(text);
    expect(item.getAttribute('data-problem')).toBe(problem);
    expect(item.className).toBe('problem-block');
    expect(screen.getByText(/not all media in this call is end-to-end encrypted/)).toBeTruthy();
  });
});

describe('popup: "Open chat" (the call chat in the side panel)', () => {
  const CALL: CallStatus = { you: 'calm lynx', sending: true, members: [{ fingerprint: 'quiet otter', keyed: true }] };
  /** Every call to the fake `chrome.sidePanel`, in order. */
  let sidePanelCalls: [string, unknown][];
  /** What `chrome.sidePanel.open` answers. */
  let openAnswer: () => Promise<void>;

  beforeEach(() => {
    sidePanelCalls = [];
    openAnswer = () => Promise.resolve();
    const sidePanel = {
      setOptions: vi.fn((options: unknown) => {
        sidePanelCalls.push(['setOptions', options]);
        return Promise.resolve();
      }),
      open: vi.fn((options: unknown) => {
        sidePanelCalls.push(['open', options]);
        return openAnswer();
      }),
    };
    Object.assign(globalThis, { chrome: { sidePanel } });
    vi.spyOn(window, 'close').mockImplementation(() => undefined);
  });

  afterEach(() => {
    delete (globalThis as { chrome?: unknown }).chrome;
    vi.restoreAllMocks();
  });

  /** The tab's status has `calls`, on the enabled site (`enabled`) or one that is not. */
  function withCall(calls: TabStatus['calls'], enabled = true) {
    backend.sites = enabled ? [site()] : [];
    backend.status = [tabStatus(SENDING, { calls })];
    renderPopup();
  }

  const openChat = () => screen.queryByRole('button', { name: 'Open chat' });

  it('during a call: one click gives the tab its own panel, opens it in the same click, then closes the popup', async () => {
    withCall([{ frameId: 0, call: CALL }]);
    const button = await screen.findByRole('button', { name: 'Open chat' });
    expect(description(button)).toMatch(/end-to-end encrypted/);
    fireEvent.click(button);
    // Both calls happen in the click itself, before anything is awaited: `open` needs the user's gesture.
    expect(sidePanelCalls).toEqual([
      ['setOptions', { tabId: TAB_ID, path: `src/sidepanel/index.html?tabId=${TAB_ID}`, enabled: true }],
      ['open', { tabId: TAB_ID }],
    ]);
    await waitFor(() => expect(window.close).toHaveBeenCalledOnce());
  });

  it('the side panel path is the manifest’s side panel page', async () => {
    const manifest = (await import('../../manifest.json', { with: { type: 'json' } })).default;
    withCall([{ frameId: 0, call: CALL }]);
    fireEvent.click(await screen.findByRole('button', { name: 'Open chat' }));
    const [, options] = sidePanelCalls[0] ?? [];
    expect((options as { path: string }).path.split('?')[0]).toBe(manifest.side_panel.default_path);
  });

  it('Chrome refuses to open it: the popup stays open and says so', async () => {
    openAnswer = () => Promise.reject(new Error('no user gesture'));
    withCall([{ frameId: 0, call: CALL }]);
    fireEvent.click(await screen.findByRole('button', { name: 'Open chat' }));
    expect(await screen.findByText('The browser did not open the chat panel. Try again.')).toBeTruthy();
    expect(window.close).not.toHaveBeenCalled();
  });

  it('Firefox: the same click sets the tab’s sidebar panel and opens the sidebar (sidebarAction)', async () => {
    delete (globalThis as { chrome?: unknown }).chrome;
    const calls: [string, unknown][] = [];
    const sidebarAction = {
      setPanel: vi.fn((details: unknown) => {
        calls.push(['setPanel', details]);
        return Promise.resolve();
      }),
      open: vi.fn(() => {
        calls.push(['open', undefined]);
        return Promise.resolve();
      }),
    };
    Object.assign(globalThis, { browser: { sidebarAction } });
    try {
      withCall([{ frameId: 0, call: CALL }]);
      fireEvent.click(await screen.findByRole('button', { name: 'Open chat' }));
      expect(calls).toEqual([
        ['setPanel', { tabId: TAB_ID, panel: `/src/sidepanel/index.html?tabId=${TAB_ID}` }],
        ['open', undefined],
      ]);
      await waitFor(() => expect(window.close).toHaveBeenCalledOnce());
    } finally {
      delete (globalThis as { browser?: unknown }).browser;
    }
  });

  it.each([
    ['no calls listed', undefined],
    ['an empty list', []],
  ] as const)('no button without a call (tracks, but no call of the key exchange: %s)', async (_, calls) => {
    withCall(calls === undefined ? undefined : [...calls]);
    await screen.findByText(/End-to-end encrypted/);
    expect(openChat()).toBeNull();
  });

  it('no button on a site that is not enabled', async () => {
    withCall([{ frameId: 0, call: CALL }], false);
    await theSwitch();
    expect(openChat()).toBeNull();
  });

  it('no button where the browser has no side panel API', async () => {
    Object.assign(globalThis, { chrome: { sidePanel: { open: () => Promise.resolve() } } });
    withCall([{ frameId: 0, call: CALL }]);
    await screen.findByRole('heading', { name: 'Call words' });
    expect(openChat()).toBeNull();
    delete (globalThis as { chrome?: unknown }).chrome;
    cleanup();
    withCall([{ frameId: 0, call: CALL }]);
    await screen.findByRole('heading', { name: 'Call words' });
    expect(openChat()).toBeNull();
  });

  it('appears once a call starts, while the popup is open', async () => {
    withCall(undefined);
    await screen.findByText(/End-to-end encrypted/);
    expect(openChat()).toBeNull();
    backend.status = [tabStatus(SENDING, { calls: [{ frameId: 0, call: CALL }] })];
    expect(await screen.findByRole('button', { name: 'Open chat' })).toBeTruthy();
  });
});

describe('popup: rooms and turning a site off', () => {
  it('a site with several rooms offers a room chooser for this tab (tabs/select-room)', async () => {
    backend.sites = [
      site({
        rooms: [
          { label: '', keyedAt: 1, safetyWords: WORDS },
          { label: 'standup', keyedAt: 2, safetyWords: ['one', 'two', 'three', 'four', 'five'] },
        ],
      }),
    ];
    renderPopup();
    const chooser = (await screen.findByRole('combobox', { name: 'Room for this tab' })) as HTMLSelectElement;
    expect(chooser.value).toBe('');
    fireEvent.change(chooser, { target: { value: 'standup' } });
    await screen.findByText('This tab uses room “standup” now.');
    expect(backend.requests).toContainEqual({ type: 'tabs/select-room', tabId: TAB_ID, room: 'standup' });
    expect(document.querySelector('.safety-words')?.textContent).toBe('one · two · three · four · five');
  });

  it('turning the switch off asks first, then disables the site and removes its permission', async () => {
    backend.sites = [site()];
    renderPopup();
    fireEvent.click(await theSwitch());
    expect(await screen.findByText(/Its room keys are erased/)).toBeTruthy();
    expect(backend.calls).not.toContain('sites/disable');
    fireEvent.click(screen.getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(screen.getByRole('switch').getAttribute('aria-checked')).toBe('false'));
    const order = backend.calls.filter((c) => c === 'sites/disable' || c === 'permissions.remove');
    expect(order).toEqual(['sites/disable', 'permissions.remove']);
    expect(fakeBrowser.permissions.remove).toHaveBeenCalledWith({ origins: [PATTERN] });
    expect(document.activeElement).toBe(screen.getByRole('switch'));
    fireEvent.click(screen.getByRole('button', { name: 'Reload the tab' }));
    expect(await screen.findByText(/Framelock no longer runs in it/)).toBeTruthy();
    expect(fakeBrowser.tabs.reload).toHaveBeenCalledWith(TAB_ID);
    expect(document.activeElement).toBe(screen.getByRole('switch'));
  });

  it('Cancel keeps the site on', async () => {
    backend.sites = [site()];
    renderPopup();
    fireEvent.click(await theSwitch());
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('button', { name: 'Turn off' })).toBeNull();
    expect(backend.calls).not.toContain('sites/disable');
    expect(screen.getByRole('switch').getAttribute('aria-checked')).toBe('true');
  });
});

describe('popup: keyboard', () => {
  it('works with the keyboard alone: Tab to the switch, Space turns it on, Tab and Enter generate', async () => {
    const user = userEvent.setup();
    renderPopup();
    await theSwitch();
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('switch'));
    await user.keyboard(' ');
    expect(screen.getByRole('switch').getAttribute('aria-checked')).toBe('true');
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Generate passphrase' }));
    await user.keyboard('{Enter}');
    expect((screen.getByLabelText('Passphrase') as HTMLInputElement).value.split(' ')).toHaveLength(12);
  });

  it('"New passphrase or room…" opens the form below the safety words and moves focus to it', async () => {
    backend.sites = [site()];
    renderPopup();
    fireEvent.click(await screen.findByRole('button', { name: 'New passphrase or room…' }));
    const heading = await screen.findByRole('heading', { name: 'New passphrase or room' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('heading', { name: 'New passphrase or room' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('switch'));
  });
});

describe('QR code', () => {
  it('encodes UTF-8 text, and refuses what no QR code holds', () => {
    expect(qrMatrix('correct horse battery staple').size).toBeGreaterThanOrEqual(21);
    expect(qrMatrix('mot de passe très sûr ✓').path).toMatch(/^M\d+ \d+h1v1h-1z/);
    expect(() => qrMatrix('é'.repeat(1500))).toThrow();
  });
});
