/**
 * Watches, through the Chrome DevTools Protocol, every network request of the targets a test hands it: pages (and the
 * dedicated workers they start) and the extension's service worker. Each request, WebSocket and WebTransport a
 * target opens is recorded with the context that made it; {@link outsideExtension} and {@link siteRequests} judge
 * the records.
 *
 * ```ts
 * const watch = new NetworkWatch();
 * await watch.watchServiceWorker(ext.browser, ext.extensionId);
 * const page = await ext.browser.newPage();
 * await watch.watchPage(page, 'site page');      // before it navigates: nothing it loads is missed
 * await page.goto(url);
 * expect(outsideExtension(watch.records, ext.extensionId)).toEqual([]);
 * ```
 *
 * What is seen, and from when (a session's `Network` and `Audits` domains):
 * - A page: our own CDP session on it, with `Network.enable` sent before the test navigates it, so every request of
 *   the document (fetch, XHR, EventSource, `navigator.sendBeacon` as type `Ping`, scripts, images, WebSockets) is seen
 *   from its first one.
 * - Its dedicated workers (Framelock's transform worker is one): puppeteer auto-attaches to each with
 *   `waitForDebuggerOnStart`, enables `Network` on that session and only then resumes the worker
 *   (puppeteer-core's cdp/WebWorker.js and TargetManager.js); we subscribe to that session in `workercreated`, which
 *   puppeteer emits in between, so a worker cannot request anything before we listen.
 * - The service worker: our own session on its target, from when `watchServiceWorker` is called. DevTools being
 *   attached keeps it running, and {@link NetworkWatch.serviceWorkerRestarted} tells whether another one started
 *   since (which would have run unwatched until attached).
 * - A request the browser blocks before it leaves is an attempt all the same, and is recorded, with
 *   `failure.blockedReason`. Where CDP reports it differs: a blocked request of a page shows in `Network`
 *   (`requestWillBeSent`, then `loadingFailed` with a `blockedReason`), but a `fetch` that the extension's CSP
 *   (`connect-src 'none'`) refuses in the service worker shows no `Network` event at all (Chromium 156): only an
 *   `Audits.issueAdded` ContentSecurityPolicyIssue naming its `blockedURL` (and a `Log.entryAdded` of source
 *   `security`). So the watcher enables `Audits` too, and records each URL a CSP blocked as a request with
 *   `blockedReason: 'csp'`. `Audits.enable` also replays the issues raised before it, so a blocked attempt of the
 *   service worker before we attached is caught as well.
 *
 * Not seen: requests the browser itself makes for no page or worker (updates, safe browsing: off in tests, see
 * `HEADLESS_CHROMIUM_ARGS`), and WebRTC's own UDP/TCP (ICE, media), which no CDP domain reports: compare the call's
 * candidates from `getStats()` for that.
 */
import type { Browser, CDPSession, Page, Protocol, Target, WebWorker } from 'puppeteer-core';

/** Who made a request: the extension's own contexts, or a site's page and the workers it started. */
export type NetworkContext = 'service worker' | 'extension page' | 'site page';

export interface NetworkRecord {
  context: NetworkContext;
  /** The URL of the page or worker whose session reported it (a worker's is its script's). */
  source: string;
  kind: 'request' | 'websocket' | 'webtransport';
  url: string;
  /** The HTTP method of a request (`GET`, `POST`, ...). */
  method?: string;
  /** CDP's resource type (`Document`, `Script`, `Fetch`, `XHR`, `EventSource`, `Ping`, ...); none for sockets. */
  type?: string;
  /** Set when the request failed: CDP's `errorText`, and `blockedReason` (e.g. `csp`) when the browser blocked it. */
  failure?: { errorText: string; blockedReason?: string };
}

export class NetworkWatch {
  readonly records: NetworkRecord[] = [];
  /** The dedicated workers watched, by script URL (Framelock's transform worker is a `blob:` URL of the site's). */
  readonly workers: string[] = [];
  readonly #sessions: CDPSession[] = [];
  #serviceWorker: { target: Target; session: CDPSession } | undefined;
  #serviceWorkersStarted = 0;

  /**
   * Watches `page` and every dedicated worker it starts from now on. Call it before the page navigates (a new page is
   * at `about:blank`); a page the test did not open this way is not watched.
   */
  async watchPage(page: Page, context: Exclude<NetworkContext, 'service worker'>): Promise<void> {
    const watchWorker = (worker: WebWorker): void => {
      this.workers.push(worker.url());
      this.#record(worker.client, context, worker.url());
      // Puppeteer enabled Network on this session before the worker ran; Audits replays what came before it.
      worker.client.send('Audits.enable').catch(() => undefined); // fails only if the worker is gone already
    };
    page.on('workercreated', watchWorker);
    const session = await page.createCDPSession();
    this.#sessions.push(session);
    this.#record(session, context, () => page.url());
    await Promise.all([session.send('Network.enable'), session.send('Audits.enable')]);
  }

  /**
   * Watches the extension's service worker (waiting for it to run), and counts every later start of it: see
   * {@link NetworkWatch.serviceWorkerRestarted}.
   */
  async watchServiceWorker(browser: Browser, extensionId: string): Promise<CDPSession> {
    const isOurs = (target: Target): boolean =>
      target.type() === 'service_worker' && target.url().startsWith(`chrome-extension://${extensionId}/`);
    browser.on('targetcreated', (target: Target) => {
      if (isOurs(target)) this.#serviceWorkersStarted++;
    });
    const target = await browser.waitForTarget(isOurs);
    const session = await target.createCDPSession();
    this.#sessions.push(session);
    this.#record(session, 'service worker', target.url());
    await Promise.all([session.send('Network.enable'), session.send('Audits.enable')]);
    this.#serviceWorker = { target, session };
    return session;
  }

  /**
   * Whether the service worker watched by {@link NetworkWatch.watchServiceWorker} stopped, or another one started,
   * since: a worker that starts runs for a moment before anyone can attach to it.
   */
  serviceWorkerRestarted(browser: Browser): boolean {
    const watched = this.#serviceWorker?.target;
    return this.#serviceWorkersStarted > 0 || watched === undefined || !browser.targets().includes(watched);
  }

  /** Stops watching (the records stay). */
  async stop(): Promise<void> {
    await Promise.all(this.#sessions.map((session) => session.detach().catch(() => undefined)));
    this.#sessions.length = 0;
  }

  #record(session: CDPSession, context: NetworkContext, source: string | (() => string)): void {
    const where = (): string => (typeof source === 'string' ? source : source());
    const byId = new Map<string, NetworkRecord>();
    session.on('Network.requestWillBeSent', (event: Protocol.Network.RequestWillBeSentEvent) => {
      // A redirect reuses the request id: each hop is a request of its own.
      const record: NetworkRecord = {
        context,
        source: where(),
        kind: 'request',
        url: event.request.url,
        method: event.request.method,
        ...(event.type === undefined ? {} : { type: event.type }),
      };
      byId.set(event.requestId, record);
      this.records.push(record);
    });
    session.on('Network.loadingFailed', (event: Protocol.Network.LoadingFailedEvent) => {
      const record = byId.get(event.requestId);
      if (record === undefined) return;
      record.failure = {
        errorText: event.errorText,
        ...(event.blockedReason === undefined ? {} : { blockedReason: event.blockedReason }),
      };
    });
    session.on('Network.webSocketCreated', (event: Protocol.Network.WebSocketCreatedEvent) => {
      this.records.push({ context, source: where(), kind: 'websocket', url: event.url });
    });
    session.on('Audits.issueAdded', ({ issue }: Protocol.Audits.IssueAddedEvent) => {
      const csp = issue.details.contentSecurityPolicyIssueDetails;
      // Only a blocked URL is a request (the other kinds are inline scripts, eval, Trusted Types); a report-only
      // policy blocks nothing, and the request shows in Network.
      if (csp?.blockedURL === undefined || csp.contentSecurityPolicyViolationType !== 'kURLViolation') return;
      if (csp.isReportOnly) return;
      this.records.push({
        context,
        source: where(),
        kind: 'request',
        url: csp.blockedURL,
        failure: { errorText: `refused by the CSP's ${csp.violatedDirective}`, blockedReason: 'csp' },
      });
    });
    session.on('Network.webTransportCreated', (event: Protocol.Network.WebTransportCreatedEvent) => {
      this.records.push({ context, source: where(), kind: 'webtransport', url: event.url });
    });
  }
}

/** URLs that load nothing from the network: the extension's own files, and data held in the browser. */
function isLocalTo(url: string, extensionId: string): boolean {
  return url.startsWith(`chrome-extension://${extensionId}/`) || url.startsWith('data:') || url.startsWith('blob:');
}

/**
 * The requests the extension's own contexts (service worker, extension pages) made to anything but its own files
 * (`chrome-extension://<id>/`), `data:` and `blob:`, blocked ones included: a request the browser blocked was still
 * attempted.
 */
export function outsideExtension(records: readonly NetworkRecord[], extensionId: string): NetworkRecord[] {
  return records.filter((r) => r.context !== 'site page' && !isLocalTo(r.url, extensionId));
}

/**
 * The set of what the site's pages (and their workers) requested, each as `<method> <origin><path>` (`websocket`/`webtransport` for those) through
 * `normalise` (e.g. to replace a random room id), leaving out Framelock's own files (`chrome-extension://<id>/`),
 * `data:` and `blob:`. Without the extension, pass any id: a page cannot load another extension's files unless that
 * extension offers them.
 */
export function siteRequests(
  records: readonly NetworkRecord[],
  extensionId: string,
  normalise: (originAndPath: string) => string = (url) => url,
): Set<string> {
  const set = new Set<string>();
  for (const record of records) {
    if (record.context !== 'site page' || isLocalTo(record.url, extensionId)) continue;
    const url = new URL(record.url);
    set.add(`${record.method ?? record.kind} ${normalise(`${url.origin}${url.pathname}`)}`);
  }
  return set;
}

/** One line per record, for failure messages. */
export function describeRecords(records: readonly NetworkRecord[]): string {
  return records
    .map((r) => {
      const failed = r.failure === undefined ? '' : ` [failed: ${r.failure.blockedReason ?? r.failure.errorText}]`;
      return `${r.context} (${r.source}): ${r.method ?? r.kind} ${r.type ?? ''} ${r.url}${failed}`;
    })
    .join('\n');
}
