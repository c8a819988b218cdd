/**
 * The icons (public/icons/, scripts/icons.ts): the committed PNGs are exactly what `npm run icons` renders from the
 * SVGs now, each is the size its name says, the manifest and the background name only icons that are rendered, and
 * the toolbar's icons stay legible on Chrome's light and dark toolbars and tell their states apart without colour.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import { ICON_DIR, ICON_RENDERS, pngName, type RenderedIcon, renderAll, renderIcon } from '../../scripts/icons.ts';
import { declaredIcons, pngSize } from '../../scripts/package-contents.ts';
import { TOOLBAR_ICONS, type ToolbarState } from '../../src/background/icon.ts';

const root = path.resolve(import.meta.dirname, '../..');
const rendered = renderAll(root);

/** Chrome's toolbar colours: light (#ffffff, and #f1f3f4 in a window that is not focused) and dark themes. */
const TOOLBARS: Readonly<Record<string, readonly [number, number, number]>> = {
  '#ffffff': [0xff, 0xff, 0xff],
  '#f1f3f4': [0xf1, 0xf3, 0xf4],
  '#202124': [0x20, 0x21, 0x24],
  '#35363a': [0x35, 0x36, 0x3a],
};

/** WCAG 2.2's relative luminance of an sRGB colour (0-255 channels). */
function luminance([r, g, b]: readonly number[]): number {
  const linear = (c = 0) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG 2.2's contrast ratio of two luminances: 1 to 21. */
function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/** The luminance of each pixel of `icon` drawn over `background` (its pixels are premultiplied by alpha). */
function composited(icon: RenderedIcon, background: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < icon.pixels.length; i += 4) {
    const alpha = (icon.pixels[i + 3] ?? 0) / 255;
    out.push(luminance([0, 1, 2].map((c) => (icon.pixels[i + c] ?? 0) + (background[c] ?? 0) * (1 - alpha))));
  }
  return out;
}

/** The share of `icon`'s area that stands out from `background` at WCAG's 3:1 for graphics (SC 1.4.11). */
function contrastingShare(icon: RenderedIcon, background: readonly number[]): number {
  const bg = luminance(background);
  return composited(icon, background).filter((l) => contrast(l, bg) >= 3).length / (icon.width * icon.height);
}

const toolbarIcon = (state: ToolbarState, size: 16 | 32) => rendered.get(`public/${TOOLBAR_ICONS[state][size]}`);

describe('the committed icons', () => {
  it('are exactly what `npm run icons` renders from the SVGs now', () => {
    expect(rendered.size).toBe(ICON_RENDERS.reduce((n, r) => n + r.sizes.length, 0));
    for (const [file, icon] of rendered) {
      const committed = new Uint8Array(readFileSync(path.join(root, file)));
      expect(Buffer.from(committed).equals(Buffer.from(icon.png)), `${file} is stale: run npm run icons`).toBe(true);
    }
  });

  it('are each the size their name says', () => {
    for (const { svg, sizes } of ICON_RENDERS) {
      for (const size of sizes) {
        const file = path.join(root, ICON_DIR, pngName(svg, size));
        expect(pngSize(new Uint8Array(readFileSync(file))), file).toEqual({ width: size, height: size });
      }
    }
  });

  it('are all the manifest and the background name, each at the size it is declared at', () => {
    const icons = declaredIcons(manifest);
    expect(icons.map((i) => i.by)).toContain('icons.128');
    for (const { path: file, size, by } of icons) {
      expect(rendered.get(`public/${file}`)?.width, `${by}: ${file}`).toBe(size);
    }
  });

  it('refuse a size that is not a whole number of pixels, and an SVG that is not square', () => {
    const svg = readFileSync(path.join(root, ICON_DIR, 'on.svg'), 'utf8');
    expect(() => renderIcon(svg, 0)).toThrow(RangeError);
    expect(() => renderIcon(svg, 15.5)).toThrow(RangeError);
    expect(() => renderIcon(svg.replace('height="16"', 'height="8"'), 16)).toThrow(/square/);
  });
});

describe('the toolbar icons on light and dark toolbars', () => {
  const states = Object.keys(TOOLBAR_ICONS) as ToolbarState[];

  it.each(
    states.flatMap((state) =>
      ([16, 32] as const).flatMap((size) => Object.keys(TOOLBARS).map((bg) => [state, size, bg])),
    ),
  )('%s at %i px stands out from %s at 3:1 over a fifth of its area or more', (state, size, bg) => {
    const icon = toolbarIcon(state as ToolbarState, size as 16 | 32);
    if (icon === undefined) throw new Error(`no ${state} icon at ${size} px`);
    expect(contrastingShare(icon, TOOLBARS[bg as string] ?? [])).toBeGreaterThanOrEqual(0.2);
  });

  it.each(['on', 'problem'] as const)('%s: its glyph stands out from its fill at 4.5:1 or more', (state) => {
    const icon = toolbarIcon(state, 16);
    if (icon === undefined) throw new Error(`no ${state} icon`);
    // The two colours that cover most of the opaque pixels: the padlock's fill and the glyph drawn on it.
    const counts = new Map<string, number>();
    for (let i = 0; i < icon.pixels.length; i += 4) {
      if (icon.pixels[i + 3] !== 255) continue;
      const key = [...icon.pixels.subarray(i, i + 3)].join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const [fill, glyph] = [...counts].sort((a, b) => b[1] - a[1]);
    expect(glyph?.[1], 'the glyph covers at least 8 pixels').toBeGreaterThanOrEqual(8);
    const rgb = (entry: [string, number] | undefined) => (entry?.[0] ?? '').split(',').map(Number);
    expect(contrast(luminance(rgb(fill)), luminance(rgb(glyph)))).toBeGreaterThanOrEqual(4.5);
  });

  it.each([
    ['on', 'problem'],
    ['on', 'off'],
    ['problem', 'off'],
  ] as const)('%s and %s differ in shape, not only in colour', (a, b) => {
    // In grey (luminance only) on a white toolbar: at least 10 pixels where one is 3:1 darker or lighter than the other.
    const white = TOOLBARS['#ffffff'] ?? [];
    const [first, second] = [toolbarIcon(a, 16), toolbarIcon(b, 16)];
    if (first === undefined || second === undefined) throw new Error('missing icon');
    const la = composited(first, white);
    const lb = composited(second, white);
    expect(la.filter((l, i) => contrast(l, lb[i] ?? 0) >= 3).length).toBeGreaterThanOrEqual(10);
  });
});
