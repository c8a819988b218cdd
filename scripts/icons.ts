/**
 * @module `npm run icons`: renders the icons' SVG sources in public/icons/ to the PNGs beside them, which are committed
 * (the build copies public/ as it is). Each SVG gives `<name>-<size>.png` at each of its sizes:
 *
 * - `framelock.svg`, the mark (the manifest's `icons` at 48 and 128 px, the store's listing);
 * - `on.svg`, `problem.svg`, `off.svg`, the toolbar's states (src/background/icon.ts), drawn on a 16 px grid with
 *   every edge on a whole pixel, at 16 and 32 px (the manifest's 16 and 32 px `icons` are `on`'s).
 *
 * The renderer is resvg (`@resvg/resvg-js`, pinned): no browser, no system fonts (the icons hold no text), the same
 * bytes on every run, so test/unit/icons.test.ts can require that the committed PNGs are exactly what this renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

/** The folder of the sources and the PNGs, relative to the repository root; the build copies it to `icons/`. */
export const ICON_DIR = 'public/icons';

/** Each SVG in {@link ICON_DIR} and the sizes (px, square) it is rendered at. */
export const ICON_RENDERS: readonly { svg: string; sizes: readonly number[] }[] = [
  { svg: 'framelock.svg', sizes: [48, 128] },
  { svg: 'on.svg', sizes: [16, 32] },
  { svg: 'problem.svg', sizes: [16, 32] },
  { svg: 'off.svg', sizes: [16, 32] },
];

/** `on.svg` at 16 px: `on-16.png`. */
export function pngName(svg: string, size: number): string {
  return `${svg.replace(/\.svg$/, '')}-${size}.png`;
}

/** One rendered icon: its PNG file, and its pixels (RGBA, premultiplied by alpha, row by row). */
export interface RenderedIcon {
  png: Uint8Array;
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Renders the SVG source `svg` to a square `size` x `size` icon. Throws a `RangeError` unless `size` is a whole number
 * of pixels from 1 to 1024, and an `Error` unless the SVG is square.
 */
export function renderIcon(svg: string, size: number): RenderedIcon {
  if (!Number.isInteger(size) || size < 1 || size > 1024) throw new RangeError(`icons: no size ${size}`);
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } });
  const image = resvg.render();
  if (image.width !== size || image.height !== size) {
    throw new Error(`icons: the SVG renders to ${image.width}x${image.height} at width ${size}: it must be square`);
  }
  return { png: new Uint8Array(image.asPng()), pixels: new Uint8Array(image.pixels), width: size, height: size };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every PNG of {@link ICON_RENDERS}, rendered from the SVGs as they are now: by path from the repository root. */
export function renderAll(repoRoot: string = root): Map<string, RenderedIcon> {
  const out = new Map<string, RenderedIcon>();
  for (const { svg, sizes } of ICON_RENDERS) {
    const source = readFileSync(path.join(repoRoot, ICON_DIR, svg), 'utf8');
    for (const size of sizes) out.set(`${ICON_DIR}/${pngName(svg, size)}`, renderIcon(source, size));
  }
  return out;
}

function main(): void {
  for (const [file, icon] of renderAll()) {
    writeFileSync(path.join(root, file), icon.png);
    process.stdout.write(`icons: ${file} (${icon.png.length} bytes)\n`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
