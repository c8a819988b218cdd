/** @jsxImportSource preact */
/**
 * The passphrase rule fails closed while it cannot estimate: the estimator (zxcvbn, ~1.7 MB, loaded on first use) is
 * replaced here by one whose load is held, then fails. Until an estimate exists, a typed passphrase enables nothing
 * without the override, in the popup and on the options page alike.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/options/App';
import { Popup } from '../../src/popup/Popup';
import type { UiRequest } from '../../src/shared/messages';
import { fakeBrowser } from './fake-browser';

/** The estimator's load: held until a test lets it fail. */
const load = vi.hoisted(() => {
  let fail: (error: Error) => void = () => undefined;
  const done = new Promise<never>((_, reject) => {
    fail = reject;
  });
  done.catch(() => undefined);
  return { done, fail: (error: Error) => fail(error) };
});
vi.mock('../../src/ui/strength', async () => load.done);

const ORIGIN = 'https://meet.example.org';
let requests: UiRequest[];
const original = {
  sendMessage: fakeBrowser.runtime.sendMessage,
  request: fakeBrowser.permissions.request,
  query: fakeBrowser.tabs.query,
};

beforeEach(() => {
  requests = [];
  fakeBrowser.runtime.sendMessage = async (message: unknown) => {
    const request = message as UiRequest;
    requests.push(request);
    if (request.type === 'sites/list') return { ok: true, sites: [], revoked: [] };
    if (request.type === 'status/get') return { ok: true, tabs: [] };
    return { ok: true };
  };
  fakeBrowser.permissions.request = vi.fn(async () => true);
  fakeBrowser.tabs.query = async () => [{ id: 7, url: `${ORIGIN}/call` }];
});

afterEach(() => {
  cleanup();
  Object.assign(fakeBrowser.runtime, { sendMessage: original.sendMessage });
  Object.assign(fakeBrowser.permissions, { request: original.request });
  Object.assign(fakeBrowser.tabs, { query: original.query });
});

const strengthLine = (): string => document.getElementById('passphrase-strength')?.textContent ?? '';
const sentEnable = () => requests.filter((r) => r.type === 'sites/enable');

describe('before the estimator has loaded', () => {
  it('popup: a strong passphrase typed is not enabled yet: "still checking", nothing asked of Chrome', async () => {
    render(<Popup search="" transformSupported refreshMs={50} />);
    fireEvent.click(await screen.findByRole('switch', { name: 'Encrypt calls on this site' }));
    fireEvent.input(screen.getByLabelText('Passphrase'), {
      target: { value: 'tangerine quarrel bicycle mosaic lantern' },
    });
    await waitFor(() => expect(strengthLine()).toBe('Strength: checking…'));
    expect(screen.getByRole('button', { name: 'Enable' }).getAttribute('aria-disabled')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(
      await screen.findByText(
        'Not enabled yet: Framelock is still checking how easy this passphrase is to guess. Try again in a moment.',
      ),
    ).toBeTruthy();
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(sentEnable()).toEqual([]);
  });

  it('options page: the same', async () => {
    render(<App />);
    await screen.findByRole('heading', { name: 'Enabled sites' });
    fireEvent.input(screen.getByRole('textbox', { name: 'Site' }), { target: { value: ORIGIN } });
    fireEvent.input(screen.getByLabelText('Passphrase'), {
      target: { value: 'tangerine quarrel bicycle mosaic lantern' },
    });
    await waitFor(() => expect(strengthLine()).toBe('Strength: checking…'));
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/^Not enabled yet: Framelock is still checking/)).toBeTruthy();
    expect(fakeBrowser.permissions.request).not.toHaveBeenCalled();
    expect(sentEnable()).toEqual([]);
  });
});

describe('when the estimator cannot be loaded', () => {
  it('a typed passphrase counts as weak: refused until “Use this passphrase without a strength check” is ticked', async () => {
    load.fail(new Error('the estimator did not load'));
    render(<App />);
    await screen.findByRole('heading', { name: 'Enabled sites' });
    fireEvent.input(screen.getByRole('textbox', { name: 'Site' }), { target: { value: ORIGIN } });
    fireEvent.input(screen.getByLabelText('Passphrase'), {
      target: { value: 'tangerine quarrel bicycle mosaic lantern' },
    });
    await waitFor(() => expect(strengthLine()).toBe('Strength: could not be estimated.'));
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    expect(await screen.findByText(/^Not enabled: Framelock could not check how easy/)).toBeTruthy();
    expect(sentEnable()).toEqual([]);

    fireEvent.click(
      screen.getByRole('checkbox', { name: /^Use this passphrase without a strength check: if it is weak/ }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(sentEnable()).toHaveLength(1));
    expect(fakeBrowser.permissions.request).toHaveBeenCalledTimes(1);
  });
});
