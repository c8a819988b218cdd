/**
 * @module The benchmark's chart, as a self-contained SVG: per-frame p50 inside the transform (video and audio) per
 * mode, and the 100-participant receive load's CPU per mode. Bars are medians; dots are the rounds behind them.
 */

import type { Mode } from './call/page.ts';
import { type CallRun, MODE_LABEL, MODES } from './call.bench.ts';
import { median } from './lib.ts';
import { SCALE_MODES, type ScaleRun } from './scale.bench.ts';

const COLORS: Record<string, string> = { video: '#3b6ea8', audio: '#c2703d', cpu: '#4d8a55' };

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Panel {
  title: string;
  unit: string;
  modes: readonly Mode[];
  series: { name: string; color: string; values: (mode: Mode) => number[] }[];
}

function panel(p: Panel, x0: number, width: number, height: number): string {
  const top = 40;
  const bottom = height - 60;
  const all = p.modes.flatMap((m) => p.series.flatMap((s) => s.values(m))).filter(Number.isFinite);
  const max = Math.max(...all, 0) * 1.1 || 1;
  const y = (v: number) => bottom - (v / max) * (bottom - top);
  const group = (width - 60) / p.modes.length;
  const bar = Math.min(28, (group - 12) / p.series.length);
  const parts = [
    `<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${xml(p.title)}</text>`,
    `<line x1="${x0 + 50}" y1="${bottom}" x2="${x0 + width - 10}" y2="${bottom}" stroke="#888"/>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max / 4) * t;
    parts.push(
      `<text x="${x0 + 45}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v.toFixed(v < 10 ? 1 : 0)}</text>`,
      `<line x1="${x0 + 50}" y1="${y(v)}" x2="${x0 + width - 10}" y2="${y(v)}" stroke="#ddd"/>`,
    );
  }
  parts.push(
    `<text x="${x0 + 12}" y="${(top + bottom) / 2}" font-size="10" transform="rotate(-90 ${x0 + 12} ${(top + bottom) / 2})" text-anchor="middle">${xml(p.unit)}</text>`,
  );
  p.modes.forEach((mode, i) => {
    const gx = x0 + 55 + i * group;
    p.series.forEach((s, j) => {
      const values = s.values(mode).filter(Number.isFinite);
      if (values.length === 0) return;
      const m = median(values);
      const bx = gx + 6 + j * bar;
      parts.push(
        `<rect x="${bx}" y="${y(m)}" width="${bar - 2}" height="${bottom - y(m)}" fill="${s.color}" opacity="0.8"/>`,
      );
      for (const v of values) parts.push(`<circle cx="${bx + (bar - 2) / 2}" cy="${y(v)}" r="2" fill="#222"/>`);
    });
    parts.push(
      `<text x="${gx + group / 2}" y="${bottom + 14}" text-anchor="middle" font-size="10">${xml(MODE_LABEL[mode])}</text>`,
    );
  });
  p.series.forEach((s, j) => {
    parts.push(
      `<rect x="${x0 + 60 + j * 90}" y="${height - 30}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${x0 + 74 + j * 90}" y="${height - 21}" font-size="10">${xml(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

export function chart(runs: CallRun[], scaleRuns: ScaleRun[], machine: string): string {
  const width = 1000;
  const height = 320;
  const perFrame: Panel = {
    title: 'Per-frame time inside the transform (p50, 720p call)',
    unit: 'µs',
    modes: MODES.filter((m) => m !== 'none'),
    series: (['video', 'audio'] as const).map((kind) => ({
      name: kind,
      color: COLORS[kind] as string,
      values: (mode: Mode) => runs.filter((r) => r.mode === mode).map((r) => (r.kinds[kind]?.p50 ?? Number.NaN) * 1000),
    })),
  };
  const load: Panel = {
    title: '100-participant receive load: browser CPU',
    unit: '% of one core',
    modes: SCALE_MODES,
    series: [
      {
        name: 'CPU',
        color: COLORS.cpu as string,
        values: (mode: Mode) => scaleRuns.filter((r) => r.mode === mode).map((r) => r.cpuShare * 100),
      },
    ],
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 20}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
${panel(perFrame, 0, 560, height)}
${panel(load, 560, 440, height)}
<text x="10" y="${height + 12}" font-size="10" fill="#555">${xml(machine)} · bars: medians, dots: rounds · npm run bench</text>
</svg>
`;
}
