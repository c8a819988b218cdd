/**
 * @module Content script registration for enabled sites (`chrome.scripting.registerContentScripts`).
 *
 * Each enabled origin gets two scripts, both at `document_start` in every frame (about:blank, srcdoc and blob frames
 * included through `matchOriginAsFallback`), persisted across browser sessions:
 *
 * | id | world | script |
 * |---|---|---|
 * | `0-bridge:<origin>` | ISOLATED | the content bridge ({@link BRIDGE_SCRIPT}) |
 * | `1-page:<origin>` | MAIN | the page script ({@link PAGE_SCRIPT}) |
 *
 * Chromium injects registered scripts in id order, not array order (DESIGN.md §2): the prefixes make the bridge go
 * first. Their `matches` is `matchPatternFor(origin)`, which writes the port, so nothing is injected into another
 * port of the same host. A registration without the host permission "succeeds" but injects nothing, so
 * {@link reconcile} drops sites whose permission is gone.
 *
 * Registration is idempotent: registering a site replaces its scripts. Callers that combine this with the sites
 * store hold `withSitesLock` (locks.ts; the functions here do not take it, except {@link reconcile}).
 */
import browser, { type Scripting } from 'webextension-polyfill';
import type { Origin } from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { withSitesLock } from './locks';
import { BRIDGE_SCRIPT, PAGE_SCRIPT } from './scripts';
import { deleteSite, listSites, noteRevoked } from './sites';

export const BRIDGE_SCRIPT_ID_PREFIX = '0-bridge:';
export const PAGE_SCRIPT_ID_PREFIX = '1-page:';

/** The ids of `origin`'s two scripts, bridge first. */
export function scriptIdsFor(origin: Origin): [bridge: string, page: string] {
  return [`${BRIDGE_SCRIPT_ID_PREFIX}${origin}`, `${PAGE_SCRIPT_ID_PREFIX}${origin}`];
}

/**
 * The two content scripts of `origin`, exactly as registered.
 *
 * @throws TypeError if `origin` is not a normalised origin.
 */
export function contentScriptsFor(origin: Origin): Scripting.RegisteredContentScript[] {
  const matches = [matchPatternFor(origin)];
  const [bridgeId, pageId] = scriptIdsFor(origin);
  const common = {
    matches,
    runAt: 'document_start',
    allFrames: true,
    // Also frames whose URL the pattern cannot match (about:blank, srcdoc, blob:, data:) but whose origin it does:
    // a page could otherwise take an untouched RTCPeerConnection from such a frame. Needs a "/*" path.
    matchOriginAsFallback: true,
    persistAcrossSessions: true,
  } as const;
  return [
    { ...common, id: bridgeId, js: [BRIDGE_SCRIPT], world: 'ISOLATED' },
    { ...common, id: pageId, js: [PAGE_SCRIPT], world: 'MAIN' },
  ];
}

/** Whether `id` names one of the scripts this module registers (other registrations are left alone). */
function isOurScriptId(id: string): boolean {
  return id.startsWith(BRIDGE_SCRIPT_ID_PREFIX) || id.startsWith(PAGE_SCRIPT_ID_PREFIX);
}

/**
 * Registers `origin`'s two scripts, replacing any earlier registration of them.
 *
 * @throws if Chrome refuses the registration (the error says which site).
 */
export async function registerSite(origin: Origin): Promise<void> {
  const scripts = contentScriptsFor(origin);
  await unregisterSite(origin);
  try {
    await browser.scripting.registerContentScripts(scripts);
  } catch (error) {
    throw new Error(`Could not register Framelock's scripts for ${origin}: ${messageOf(error)}`);
  }
}

/** Unregisters `origin`'s scripts, if registered. */
export async function unregisterSite(origin: Origin): Promise<void> {
  const ids = scriptIdsFor(origin);
  const existing = await browser.scripting.getRegisteredContentScripts({ ids });
  if (existing.length === 0) return;
  try {
    await browser.scripting.unregisterContentScripts({ ids: existing.map((script) => script.id) });
  } catch (error) {
    throw new Error(`Could not unregister Framelock's scripts for ${origin}: ${messageOf(error)}`);
  }
}

/** Whether `origin`'s host permission (exactly its match pattern) is granted. */
export async function hasSitePermission(origin: Origin): Promise<boolean> {
  return browser.permissions.contains({ origins: [matchPatternFor(origin)] });
}

export interface ReconcileReport {
  /** Enabled sites whose host permission was gone: turned off (their key deleted) and noted for the UI. */
  revoked: Origin[];
  /** Enabled sites whose scripts were missing or out of date, now registered. */
  registered: Origin[];
  /** Ids of our scripts that belonged to no enabled site, now unregistered. */
  unregistered: string[];
}

/**
 * Makes the registered content scripts match the enabled sites that still hold their host permission. Run at every
 * service worker start and when a permission is removed: it repairs a registration interrupted by the worker
 * stopping, re-registers scripts whose built file names changed with an extension update, and turns off sites
 * whose permission the user removed in chrome://extensions (the options page then says so).
 */
export function reconcile(): Promise<ReconcileReport> {
  return withSitesLock(async () => {
    const report: ReconcileReport = { revoked: [], registered: [], unregistered: [] };
    const registered = (await browser.scripting.getRegisteredContentScripts()).filter((s) => isOurScriptId(s.id));
    const wanted = new Set<string>();

    for (const site of await listSites()) {
      if (!(await hasSitePermission(site.origin))) {
        await deleteSite(site.origin);
        report.revoked.push(site.origin);
        continue;
      }
      const scripts = contentScriptsFor(site.origin);
      for (const script of scripts) wanted.add(script.id);
      const upToDate = scripts.every((script) => registered.some((current) => sameRegistration(current, script)));
      if (!upToDate) {
        await registerSite(site.origin);
        report.registered.push(site.origin);
      }
    }

    report.unregistered = registered.map((script) => script.id).filter((id) => !wanted.has(id));
    if (report.unregistered.length > 0) {
      await browser.scripting.unregisterContentScripts({ ids: report.unregistered });
    }
    if (report.revoked.length > 0) {
      await noteRevoked(report.revoked);
      console.warn(
        `Framelock turned itself off for ${report.revoked.join(', ')}: the permission to run there was removed ` +
          "(in Chrome's extension settings). Enable the site again in Framelock's options to protect calls there.",
      );
    }
    return report;
  });
}

/** Whether a registered script is exactly the one we would register (Chrome fills in defaults when it reports). */
function sameRegistration(
  current: Scripting.RegisteredContentScript,
  wanted: Scripting.RegisteredContentScript,
): boolean {
  return (
    current.id === wanted.id &&
    sameList(current.js, wanted.js) &&
    sameList(current.css, wanted.css) &&
    sameList(current.matches, wanted.matches) &&
    sameList(current.excludeMatches, wanted.excludeMatches) &&
    (current.world ?? 'ISOLATED') === wanted.world &&
    (current.runAt ?? 'document_idle') === wanted.runAt &&
    (current.allFrames ?? false) === wanted.allFrames &&
    (current.matchOriginAsFallback ?? false) === wanted.matchOriginAsFallback &&
    (current.persistAcrossSessions ?? true) === wanted.persistAcrossSessions
  );
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((item, i) => item === right[i]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
