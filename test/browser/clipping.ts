/**
 * Finds text a page cuts off or pushes out of view, as a reader would notice it: used on the popup and the options
 * page in each shipped language, and on the store's promo tile (test/browser/store.test.ts).
 *
 * What counts as clipped, in the page as laid out now:
 * - an element whose computed `overflow-x`/`overflow-y` hides content (`hidden`, `clip`) and whose content is larger
 *   than its box: `scrollWidth > clientWidth + 1` or `scrollHeight > clientHeight + 1`;
 * - a text node that is wider than the viewport, or that ends outside it (past its right edge, before its left edge,
 *   and with `vertical`, past its bottom edge);
 * - a page that scrolls sideways (`documentElement.scrollWidth > clientWidth + 1`).
 *
 * Left out, because they are meant to hide what they hide: elements not rendered (no boxes), the screen-reader-only
 * pattern (`.visually-hidden`: an absolutely positioned box of at most 1×1 px) and everything inside it, and form fields
 * (a field scrolls its value; its label is checked).
 */
import type { Page } from 'puppeteer-core';

export interface ClippingOptions {
  /** Also report text that ends below the viewport's bottom edge (a fixed-size surface such as the promo tile). */
  vertical?: boolean;
}

/**
 * What `page` clips, one line per problem naming the element (tag, id, classes) and the text; empty: nothing.
 * Runs in the page; the page must be laid out at the size under test (set the viewport first).
 */
export function findClipping(page: Page, options: ClippingOptions = {}): Promise<string[]> {
  return page.evaluate((vertical: boolean) => {
    const problems: string[] = [];
    const slack = 1;
    const viewWidth = document.documentElement.clientWidth;
    const viewHeight = document.documentElement.clientHeight;
    const describe = (element: Element): string => {
      const id = element.id === '' ? '' : `#${element.id}`;
      const classes = [...element.classList].map((c) => `.${c}`).join('');
      const text = (element.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 60);
      return `<${element.tagName.toLowerCase()}${id}${classes}> "${text}"`;
    };
    const screenReaderOnly = (element: Element): boolean => {
      const style = getComputedStyle(element);
      return style.position === 'absolute' && element.clientWidth <= 1 && element.clientHeight <= 1;
    };
    const skipped = (element: Element): boolean =>
      element.closest('input, textarea, select') !== null ||
      [...ancestry(element)].some((node) => screenReaderOnly(node));
    function* ancestry(element: Element): Generator<Element> {
      for (let node: Element | null = element; node !== null; node = node.parentElement) yield node;
    }

    for (const element of document.querySelectorAll('body, body *')) {
      if (element.getClientRects().length === 0 || skipped(element)) continue;
      const style = getComputedStyle(element);
      const hides = (overflow: string): boolean => overflow === 'hidden' || overflow === 'clip';
      if (hides(style.overflowX) && element.scrollWidth > element.clientWidth + slack) {
        problems.push(
          `${describe(element)} cuts its content sideways (${element.scrollWidth} > ${element.clientWidth})`,
        );
      }
      if (hides(style.overflowY) && element.scrollHeight > element.clientHeight + slack) {
        problems.push(
          `${describe(element)} cuts its content at the bottom (${element.scrollHeight} > ${element.clientHeight})`,
        );
      }
    }

    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const parent = node.parentElement;
      if ((node.textContent ?? '').trim() === '' || parent === null || skipped(parent)) continue;
      if (parent.getClientRects().length === 0 || getComputedStyle(parent).visibility === 'hidden') continue;
      range.selectNodeContents(node);
      const box = range.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const where = `${describe(parent)}: the text "${(node.textContent ?? '').trim().slice(0, 40)}"`;
      if (box.width > viewWidth + slack) {
        problems.push(`${where} is wider than the viewport (${Math.round(box.width)} > ${viewWidth})`);
      } else if (box.right > viewWidth + slack || box.left < -slack) {
        problems.push(`${where} runs off the viewport (from ${Math.round(box.left)} to ${Math.round(box.right)})`);
      }
      if (vertical && box.bottom > viewHeight + slack) {
        problems.push(`${where} runs off the bottom (${Math.round(box.bottom)} > ${viewHeight})`);
      }
    }

    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + slack) {
      problems.push(`the page scrolls sideways (${root.scrollWidth} > ${root.clientWidth})`);
    }
    return problems;
  }, options.vertical ?? false);
}
