/**
 * A page's console for failure messages: what it and its workers logged, its errors, and when its workers came and
 * went. Record from when the page is made (`recordConsole`), read when a test fails.
 */
import type { Page } from 'puppeteer-core';

/** At most this many lines are kept per page, the newest. */
const KEPT_LINES = 200;

const consoleLines = new WeakMap<Page, string[]>();

/** Keeps the page's console messages, errors and its workers' console messages. */
export function recordConsole(page: Page): void {
  const lines: string[] = [];
  consoleLines.set(page, lines);
  const push = (line: string) => {
    lines.push(line.slice(0, 300));
    if (lines.length > KEPT_LINES) lines.shift();
  };
  page.on('console', (m) => push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => push(`page error: ${String(e)}`));
  page.on('workercreated', (w) => {
    push(`worker created: ${w.url()}`);
    w.on('console', (m) => push(`worker console.${m.type()}: ${m.text()}`));
  });
  page.on('workerdestroyed', (w) => push(`worker destroyed: ${w.url()}`));
}

/** What `recordConsole` kept of `page`, oldest first. */
export function recordedConsole(page: Page): readonly string[] {
  return consoleLines.get(page) ?? [];
}

/** The last `last` lines kept of `page`, indented, or "(nothing)". */
export function consoleOf(page: Page, last = 30): string {
  const lines = recordedConsole(page);
  return lines.length === 0
    ? '    (nothing)'
    : lines
        .slice(-last)
        .map((l) => `    ${l}`)
        .join('\n');
}
