/**
 * A wire tap for the site's own data channels in real-browser tests: what each `RTCDataChannel` handed the browser.
 * {@link installWireTap} goes to `page.evaluateOnNewDocument`, which runs before every script of the document, the
 * extension's document_start page script included (data-link.test.ts relies on the same order). The page script saves
 * `RTCDataChannel.prototype.send` when it starts, so it saves the recorder: everything it sends, sealed or not, is
 * recorded, and so is everything the page sends past it. A test proves the order each time it runs (a positive
 * control): on a protected connection the records are envelopes (binary, first byte 0xF1), never the page's strings.
 *
 * ```ts
 * await page.evaluateOnNewDocument(installWireTap);
 * await page.goto(url);
 * ...
 * const wire = await readWire(page, 'chat');
 * ```
 */
import type { Frame, Page } from 'puppeteer-core';

/** One message as handed to the native `send`: a string as it was, bytes as hex. */
export interface WireRecord {
  label: string;
  kind: 'string' | 'binary' | 'blob';
  /** The string (kind string), else ''. */
  text: string;
  /** The bytes in hex (kind binary), else ''. */
  hex: string;
  /** Characters (string) or bytes (binary, blob). */
  size: number;
}

/**
 * The tap itself (serialised into the page by evaluateOnNewDocument: it must close over nothing). Records into
 * `window.__framelockWire` and calls the real send with the page's arguments.
 */
export function installWireTap(): void {
  const native = RTCDataChannel.prototype.send;
  const labelOf = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'label')?.get as () => string;
  const records: WireRecord[] = [];
  Object.defineProperty(window, '__framelockWire', { value: records });
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
    const label = labelOf.call(this);
    if (typeof data === 'string') {
      records.push({ label, kind: 'string', text: data, hex: '', size: data.length });
    } else if (data instanceof Blob) {
      records.push({ label, kind: 'blob', text: '', hex: '', size: data.size });
    } else {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data as ArrayBuffer);
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      records.push({ label, kind: 'binary', text: '', hex, size: bytes.length });
    }
    // biome-ignore lint/complexity/noArguments: the native gets the page's own arguments, as the page passed them
    return Reflect.apply(native, this, arguments as unknown as unknown[]);
  } as typeof native;
}

/** What the tap of `page` recorded so far (of the channels labelled `label`, if given). */
export async function readWire(page: Page | Frame, label?: string): Promise<WireRecord[]> {
  const records = await page.evaluate(
    () => (window as unknown as { __framelockWire?: WireRecord[] }).__framelockWire ?? null,
  );
  if (records === null) throw new Error(`${page.url()}: no wire tap (install it with evaluateOnNewDocument first)`);
  return label === undefined ? records : records.filter((r) => r.label === label);
}

/** Lower-case hex of `text`'s UTF-8 bytes (to look for a message's bytes in a binary record). */
export function utf8Hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** Whether `hex` holds the bytes `needle` (both hex), at a byte boundary. */
export function hexContains(hex: string, needle: string): boolean {
  for (let at = hex.indexOf(needle); at !== -1; at = hex.indexOf(needle, at + 1)) if (at % 2 === 0) return true;
  return false;
}

/** Whether a record holds `text`, as a string or as its UTF-8 bytes. */
export function carries(record: WireRecord, text: string): boolean {
  return record.text.includes(text) || (text !== '' && hexContains(record.hex, utf8Hex(text)));
}
