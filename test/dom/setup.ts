/**
 * Setup of the `dom` test project (happy-dom): `webextension-polyfill` is replaced by `fakeBrowser`
 * (fake-browser.ts), whose `i18n` answers from the real message fragments.
 */
import { vi } from 'vitest';
import { fakeBrowser } from './fake-browser';

vi.mock('webextension-polyfill', () => ({ default: fakeBrowser }));
