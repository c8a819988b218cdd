/**
 * @module What `npm run package` (scripts/package.ts) requires of a build's files beyond its pages and scripts: every
 * icon it declares, and every language.
 *
 * - Icons: each path of the manifest's `icons` and `action.default_icon`, and each icon the background sets per tab
 *   (`TOOLBAR_ICONS`, src/background/icon.ts), is in the package and is a PNG of the size it is declared at (read from
 *   its IHDR chunk, PNG spec §11.2.2). A missing icon shows as a grey letter in Chrome's toolbar; the Web Store refuses
 *   a package without its 128 px icon.
 * - Languages: `_locales/<locale>/messages.json` for each shipped language (`SHIPPED_LOCALES`, src/ui/locales.ts) and
 *   for `default_locale`, nothing else under `_locales/`, and every `__MSG_name__` of the manifest defined in each of
 *   them (a browser shows an undefined one as its raw name, or refuses to load the extension).
 */
import { TOOLBAR_ICONS } from '../src/background/icon.ts';

/** A PNG file's first 8 bytes (PNG spec §5.2). */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The width and height a PNG declares in its IHDR chunk, which must come first (PNG spec §5.6, §11.2.2); `undefined`
 * when `bytes` is not a PNG.
 */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // 8: the chunk's length (13), 12: its type, 16: width, 20: height, both big-endian.
  if (view.getUint32(8) !== 13 || new TextDecoder().decode(bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** An icon a package must hold: its path in the package, its size (px, square), and who declares it. */
export interface DeclaredIcon {
  path: string;
  size: number;
  by: string;
}

/** What the checks read of a built manifest. */
export interface ManifestIcons {
  icons?: unknown;
  action?: { default_icon?: unknown };
  default_locale?: unknown;
  [key: string]: unknown;
}

/** The entries of an `{ "16": "icons/a.png", … }` dictionary, each with the size its key says. */
function sizedPaths(dictionary: unknown, by: string): DeclaredIcon[] {
  if (typeof dictionary === 'string') throw new Error(`package: ${by} names one icon of no declared size`);
  if (typeof dictionary !== 'object' || dictionary === null) return [];
  return Object.entries(dictionary).map(([size, file]) => {
    if (typeof file !== 'string' || !/^[1-9]\d*$/.test(size)) {
      throw new Error(`package: ${by} has ${JSON.stringify(size)}: ${JSON.stringify(file)}, not a size and a path`);
    }
    return { path: file.replace(/^\//, ''), size: Number(size), by: `${by}.${size}` };
  });
}

/** Every icon the manifest declares, and every icon the background sets (`toolbarIcons`). */
export function declaredIcons(
  manifest: ManifestIcons,
  toolbarIcons: Readonly<Record<string, Readonly<Record<number, string>>>> = TOOLBAR_ICONS,
): DeclaredIcon[] {
  return [
    ...sizedPaths(manifest.icons, 'icons'),
    ...sizedPaths(manifest.action?.default_icon, 'action.default_icon'),
    ...Object.entries(toolbarIcons).flatMap(([state, paths]) => sizedPaths(paths, `TOOLBAR_ICONS.${state}`)),
  ];
}

/**
 * Throws unless every icon of {@link declaredIcons} is in `files` as a PNG of its size. `dir` names the build in the
 * message.
 */
export function checkIcons(
  manifest: ManifestIcons,
  files: ReadonlyMap<string, Uint8Array>,
  dir: string,
  toolbarIcons?: Readonly<Record<string, Readonly<Record<number, string>>>>,
): void {
  const icons = declaredIcons(manifest, toolbarIcons);
  if (!icons.some((icon) => icon.by === 'icons.128')) {
    throw new Error(`package: ${dir}/manifest.json declares no 128 px icon (the Chrome Web Store requires one)`);
  }
  const wrong: string[] = [];
  for (const { path, size, by } of icons) {
    const bytes = files.get(path);
    const found = bytes === undefined ? undefined : pngSize(bytes);
    if (bytes === undefined) wrong.push(`${path} (${by}) is missing`);
    else if (found === undefined) wrong.push(`${path} (${by}) is not a PNG`);
    else if (found.width !== size || found.height !== size) {
      wrong.push(`${path} (${by}) is ${found.width}x${found.height}, not ${size}x${size}`);
    }
  }
  if (wrong.length > 0) throw new Error(`package: ${dir} has icons that do not match: ${wrong.join('; ')}`);
}

/**
 * Throws unless the `_locales/` of `files` holds exactly one `messages.json` for each of `shippedLocales` and the
 * manifest's `default_locale`, and each of them defines every `__MSG_name__` of the manifest (Chrome's message names
 * ignore case; `@@` names are the browser's own).
 */
export function checkLocales(
  manifest: ManifestIcons,
  files: ReadonlyMap<string, Uint8Array>,
  dir: string,
  shippedLocales: readonly string[],
): void {
  const defaultLocale = manifest.default_locale;
  if (typeof defaultLocale !== 'string') throw new Error(`package: ${dir}/manifest.json has no default_locale`);
  const locales = [...new Set([...shippedLocales, defaultLocale])];
  const expected = new Set(locales.map((locale) => `_locales/${locale}/messages.json`));
  const stray = [...files.keys()].filter((name) => name.startsWith('_locales/') && !expected.has(name));
  if (stray.length > 0) throw new Error(`package: ${dir} has files under _locales that no language ships: ${stray}`);
  const used = [...new Set([...JSON.stringify(manifest).matchAll(/__MSG_([A-Za-z0-9_@]+)__/g)].map((m) => m[1]))];
  const decoder = new TextDecoder();
  for (const locale of locales) {
    const name = `_locales/${locale}/messages.json`;
    const bytes = files.get(name);
    if (bytes === undefined) throw new Error(`package: ${dir} has no ${name}`);
    let messages: Record<string, unknown>;
    try {
      messages = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
    } catch {
      throw new Error(`package: ${dir}/${name} is not JSON`);
    }
    const defined = new Set(
      Object.entries(messages)
        .filter(([, entry]) => typeof (entry as { message?: unknown } | null)?.message === 'string')
        .map(([key]) => key.toLowerCase()),
    );
    const missing = used.filter((key) => key !== undefined && !key.startsWith('@@') && !defined.has(key.toLowerCase()));
    if (missing.length > 0) {
      throw new Error(`package: ${dir}/${name} does not define what manifest.json uses: ${missing.join(', ')}`);
    }
  }
}
