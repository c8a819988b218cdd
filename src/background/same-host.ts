/**
 * @module Sites that share a host (Firefox only). Firefox match patterns cannot hold a port (src/shared/origin.ts), so
 * the host permission and the scripts of an enabled site cover its host on every port. Two enabled origins on one host
 * would inject our scripts twice into each of their frames, so the second is refused; and a frame of another port of
 * an enabled site's host has our scripts without being enabled, so it is told to stand aside (`stand-aside`). In the
 * Chrome build every match pattern names its port, no two sites share one, and both answers are always "none".
 */
import type { Origin } from '../shared/messages';
import { matchPatternFor } from '../shared/origin';
import { TARGET_BROWSER, type TargetBrowser } from '../shared/target-browser';
import { listSites } from './sites';

/** An enabled site other than `origin` whose scripts also cover `origin` (the same match pattern), if any. */
export async function siteSharingScope(
  origin: Origin,
  browser: TargetBrowser = TARGET_BROWSER,
): Promise<Origin | undefined> {
  if (browser === 'chrome') return undefined; // every Chrome pattern names its port: no other origin shares one
  const scope = matchPatternFor(origin, browser);
  const sites = await listSites();
  return sites.find((site) => site.origin !== origin && matchPatternFor(site.origin, browser) === scope)?.origin;
}
