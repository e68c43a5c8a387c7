// Renders a picture of each Aurea Grafana board (docs/dashboards/<uid>.svg) from real query
// results: Grafana itself cannot run here, so this draws the panels (time series, stats, bar
// gauges, tables, pie, state timeline, histogram) at their gridPos from the data each target
// returns, using the same variable resolution and query expansion as the integration test.
//
// Data: a workload instrumented with @aurea/sdk runs for --seconds (default 120) against the
// local stack (OTLP → Collector → Prometheus); its task events plus 48 sample jobs over the
// last 20 hours go into an embedded ClickHouse (temp dir, real migrations).
//
//   npm run stack:start   # if not running
//   npx tsx scripts/render-dashboards.ts [--seconds 120] [--out docs/dashboards]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClickHouse, migrate } from '@aurea/clickhouse';
import { allBoards } from '../grafana/src/boards/index.js';
import { FieldColorModeId, MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard, Panel } from '../grafana/src/builders.js';

type PanelCustom = Record<string, unknown>;
import { dataPanels, runBoard, type Backends, type Selection, type TargetResult } from '../grafana/src/run-targets.js';
import { loadTaskEvents, pushGauge, sampleTaskEvents } from '../grafana/src/pipeline-data.js';
import { runSdkWorkload } from '../grafana/src/sdk-workload.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROMETHEUS = `http://127.0.0.1:${process.env.PROMETHEUS_PORT ?? '9090'}`;
const OTLP = `http://127.0.0.1:${process.env.OTELCOL_HTTP_PORT ?? '4318'}`;

// ---------------------------------------------------------------------------------------------
// Formatting

const PALETTE = [
  '#73BF69',
  '#F2CC0C',
  '#8AB8FF',
  '#FF780A',
  '#F2495C',
  '#5794F2',
  '#B877D9',
  '#705DA0',
  '#37872D',
  '#FADE2A',
];
const COLOR_NAMES: Record<string, string> = {
  green: '#73BF69',
  red: '#F2495C',
  orange: '#FF9830',
  blue: '#5794F2',
  yellow: '#FADE2A',
  '#EAB839': '#EAB839',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function fmt(v: number, unit: string | undefined, decimals?: number): string {
  if (!Number.isFinite(v)) return '–';
  const d = (x: number, def: number) => x.toFixed(decimals ?? def);
  const short = (x: number) => {
    const a = Math.abs(x);
    if (a >= 1e9) return `${d(x / 1e9, 2)}B`;
    if (a >= 1e6) return `${d(x / 1e6, 2)}M`;
    if (a >= 1e3) return `${d(x / 1e3, 1)}K`;
    return Number.isInteger(x) && decimals === undefined ? String(x) : d(x, a < 1 ? 3 : 2);
  };
  switch (unit) {
    case 'currencyUSD':
      return `$${d(v, Math.abs(v) < 1 ? 4 : 2)}`;
    case 's':
      return Math.abs(v) < 1 ? `${(v * 1000).toFixed(0)} ms` : `${d(v, 2)} s`;
    case 'ms':
      // Grafana scales milliseconds up: 950 ms, 3.20 s, 1.50 min.
      if (Math.abs(v) < 1000) return `${v.toFixed(0)} ms`;
      return Math.abs(v) < 60_000 ? `${(v / 1000).toFixed(2)} s` : `${(v / 60_000).toFixed(2)} min`;
    case 'percentunit':
      return `${(v * 100).toFixed(decimals ?? 1)}%`;
    case 'reqps':
      return `${short(v)} req/s`;
    case 'ops':
      return `${short(v)}/s`;
    case undefined:
    case 'short':
    case 'none':
      return short(v);
    default:
      if (unit.startsWith('suffix:')) return `${short(v)}${unit.slice(7)}`;
      return `${short(v)} ${unit}`;
  }
}

function fieldUnit(p: Panel, field: string): { unit?: string; decimals?: number } {
  const o = p.fieldConfig?.overrides.find((x) => x.matcher.options === field);
  const unit =
    (o?.properties.find((x) => x.id === 'unit')?.value as string | undefined) ?? p.fieldConfig?.defaults.unit;
  const decimals =
    (o?.properties.find((x) => x.id === 'decimals')?.value as number | undefined) ?? p.fieldConfig?.defaults.decimals;
  return { ...(unit ? { unit } : {}), ...(decimals !== undefined ? { decimals } : {}) };
}

/** The panel's value → text/colour mapping, if it has one. */
function valueMap(p: Panel): Record<string, { text?: string; color?: string }> | undefined {
  const m = p.fieldConfig?.defaults.mappings?.[0];
  return m?.type === MappingType.ValueToText ? m.options : undefined;
}

function thresholdColor(p: Panel, v: number): string {
  const steps = p.fieldConfig?.defaults.thresholds?.steps ?? [];
  let c = steps[0]?.color ?? 'green';
  for (const s of steps) if (s.value !== null && v >= s.value) c = s.color;
  return COLOR_NAMES[c] ?? c;
}

// ---------------------------------------------------------------------------------------------
// Data shaping

interface Series {
  name: string;
  points: [number, number][];
}

/** Time series from Prometheus results or from a ClickHouse long-format frame (time, labels…, value). */
function toSeries(results: TargetResult[]): Series[] {
  const out: Series[] = [];
  for (const r of results) {
    if (r.series)
      out.push(
        ...r.series.map((s) => ({ name: s.name, points: s.points.map(([t, v]) => [t * 1000, v] as [number, number]) })),
      );
    else if (r.rows && r.columns) {
      const timeIdx = r.columns.findIndex((c) => c.type.startsWith('DateTime'));
      const valueIdx = r.columns
        .map((c, i) => [c, i] as const)
        .filter(([c, i]) => i !== timeIdx && /Int|Float|Decimal/.test(c.type))
        .map(([, i]) => i);
      const labelIdx = r.columns.map((_, i) => i).filter((i) => i !== timeIdx && !valueIdx.includes(i));
      const by = new Map<string, Series>();
      for (const row of r.rows) {
        const t = Date.parse(`${String(row[timeIdx]).replace(' ', 'T')}Z`);
        for (const vi of valueIdx) {
          const name = labelIdx.map((i) => String(row[i])).join(' ') || r.columns[vi]!.name;
          const s = by.get(name) ?? { name, points: [] };
          s.points.push([t, Number(row[vi])]);
          by.set(name, s);
        }
      }
      out.push(...by.values());
    }
  }
  return out;
}

/** Name → value pairs for stat/bar gauge/pie panels (last value of each series or each numeric field). */
function toValues(
  p: Panel,
  results: TargetResult[],
): { name: string; value: number; unit?: string; decimals?: number }[] {
  const out: { name: string; value: number; unit?: string; decimals?: number }[] = [];
  for (const r of results) {
    if (r.series) {
      for (const s of r.series) {
        const last = [...s.points].reverse().find(([, v]) => Number.isFinite(v));
        if (last) out.push({ name: s.name, value: last[1], ...fieldUnit(p, '') });
      }
    } else if (r.rows && r.columns) {
      const numeric = r.columns.map((c, i) => [c, i] as const).filter(([c]) => /Int|Float|Decimal/.test(c.type));
      const labels = r.columns
        .map((c, i) => [c, i] as const)
        .filter(([c]) => !/Int|Float|Decimal|DateTime/.test(c.type));
      if (p.type === 'stat' || p.type === 'gauge') {
        for (const [c, i] of numeric)
          out.push({ name: c.name, value: Number(r.rows[0]?.[i]), ...fieldUnit(p, c.name) });
      } else {
        const [c, vi] = numeric[numeric.length - 1]!;
        for (const row of r.rows)
          out.push({
            name: labels.map(([, i]) => String(row[i])).join(' / '),
            value: Number(row[vi]),
            ...fieldUnit(p, c.name),
          });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Drawing (each returns SVG elements inside a panel box of w × h at 0,0)

function axes(
  w: number,
  h: number,
  min: number,
  max: number,
  unit: string | undefined,
  t0: number,
  t1: number,
): string {
  let s = '';
  for (let i = 0; i <= 4; i++) {
    const y = h - (i / 4) * h;
    s += `<line x1="0" x2="${w}" y1="${y}" y2="${y}" stroke="#2c3235" stroke-width="1"/>`;
    s += `<text x="-6" y="${y + 4}" fill="#9fa7b3" font-size="10" text-anchor="end">${esc(fmt(min + ((max - min) * i) / 4, unit))}</text>`;
  }
  for (let i = 0; i <= 4; i++) {
    const t = new Date(t0 + ((t1 - t0) * i) / 4);
    const x = (i / 4) * w;
    const label = t1 - t0 < 30 * 60_000 ? t.toISOString().slice(11, 19) : t.toISOString().slice(11, 16);
    s += `<text x="${x}" y="${h + 14}" fill="#9fa7b3" font-size="10" text-anchor="middle">${label}</text>`;
  }
  return s;
}

function drawTimeseries(
  p: Panel,
  results: TargetResult[],
  w: number,
  h: number,
  range: { from: Date; to: Date },
): string {
  const series = toSeries(results).filter((s) => s.points.some(([, v]) => Number.isFinite(v)));
  const stacked =
    ((p.fieldConfig?.defaults.custom as PanelCustom | undefined)?.stacking as { mode: string } | undefined)?.mode ===
    'normal';
  const t0 = range.from.getTime();
  const t1 = range.to.getTime();
  const legendRows = Math.min(series.length, 4);
  const ph = h - 24 - 22 - legendRows * 13;
  // Left margin wide enough for the longest y-axis label.
  const unit = p.fieldConfig?.defaults.unit;
  const left = 14 + 6 * Math.max(...[0, 0.25, 0.5, 0.75, 1].map((f) => fmt(f * 1e4, unit).length), 6);
  const pw = w - left - 14;
  // Stack on shared timestamps.
  const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const base = new Map<number, number>(times.map((t) => [t, 0]));
  const drawn = series.map((s) => {
    const m = new Map(s.points);
    // Stacked: a bucket a series has no row for counts as 0 (as Grafana stacks nulls).
    return times
      .filter((t) => stacked || m.has(t))
      .map((t) => {
        const raw = m.get(t);
        const v = raw !== undefined && Number.isFinite(raw) ? raw : 0;
        const lo = stacked ? base.get(t)! : 0;
        if (stacked) base.set(t, lo + v);
        return [t, lo, lo + v] as const;
      });
  });
  const values = drawn.flat().flatMap(([, lo, hi]) => [lo, hi]);
  const thresholdsShown =
    ((p.fieldConfig?.defaults.custom as PanelCustom | undefined)?.thresholdsStyle as { mode: string } | undefined)
      ?.mode === 'dashed';
  const tvals = thresholdsShown
    ? (p.fieldConfig?.defaults.thresholds?.steps ?? []).filter((x) => x.value !== null).map((x) => x.value!)
    : [];
  let max = Math.max(0, ...values);
  if (tvals.length && max > 0) max = Math.max(max, Math.min(...tvals) * 1.1);
  if (max === 0) max = 1;
  const min = Math.min(0, ...values);
  const X = (t: number) => ((t - t0) / (t1 - t0)) * pw;
  const Y = (v: number) => ph - ((v - min) / (max - min)) * ph;
  let s = `<g transform="translate(${left},24)">${axes(pw, ph, min, max, unit, t0, t1)}`;
  for (const tv of tvals)
    if (tv <= max)
      s += `<line x1="0" x2="${pw}" y1="${Y(tv)}" y2="${Y(tv)}" stroke="${thresholdColor(p, tv)}" stroke-dasharray="6 4" opacity="0.7"/>`;
  drawn.forEach((pts, i) => {
    if (pts.length === 0) return;
    const c = PALETTE[i % PALETTE.length]!;
    const line = pts.map(([t, , hi], k) => `${k ? 'L' : 'M'}${X(t).toFixed(1)},${Y(hi).toFixed(1)}`).join('');
    const area = `${line}${[...pts]
      .reverse()
      .map(([t, lo]) => `L${X(t).toFixed(1)},${Y(lo).toFixed(1)}`)
      .join('')}Z`;
    s += `<path d="${area}" fill="${c}" opacity="${stacked ? 0.35 : 0.1}"/><path d="${line}" fill="none" stroke="${c}" stroke-width="1.5"/>`;
    if (pts.length === 1) s += `<circle cx="${X(pts[0]![0])}" cy="${Y(pts[0]![2])}" r="2.5" fill="${c}"/>`;
  });
  s += '</g>';
  series.slice(0, legendRows).forEach((se, i) => {
    const last = [...se.points].reverse().find(([, v]) => Number.isFinite(v))?.[1] ?? NaN;
    const y = h - legendRows * 13 + i * 13 + 4;
    s += `<rect x="10" y="${y - 8}" width="10" height="3" fill="${PALETTE[i % PALETTE.length]}"/><text x="26" y="${y}" fill="#ccccdc" font-size="10">${esc(clip(se.name, Math.floor(w / 7) - 16))}</text>`;
    s += `<text x="${w - 10}" y="${y}" fill="#9fa7b3" font-size="10" text-anchor="end">${esc(fmt(last, p.fieldConfig?.defaults.unit, p.fieldConfig?.defaults.decimals))}</text>`;
  });
  if (series.length > legendRows)
    s += `<text x="${w - 10}" y="${14}" fill="#9fa7b3" font-size="9" text-anchor="end">+${series.length - legendRows} more series</text>`;
  return s;
}

function drawStat(p: Panel, results: TargetResult[], w: number, h: number): string {
  const vals = toValues(p, results);
  if (vals.length === 0) return noData(w, h);
  const n = vals.length;
  const cw = w / n;
  const mapping = valueMap(p);
  return vals
    .map((v, i) => {
      const color =
        p.fieldConfig?.defaults.color?.mode === FieldColorModeId.Thresholds
          ? thresholdColor(p, v.value)
          : PALETTE[i % PALETTE.length]!;
      const text = mapping?.[String(v.value)]?.text ?? fmt(v.value, v.unit, v.decimals);
      const size = Math.min(30, h / 3, (cw / Math.max(text.length, 4)) * 1.6);
      return `<text x="${cw * i + cw / 2}" y="${24 + (h - 24) / 2 + size / 3}" fill="${color}" font-size="${size.toFixed(0)}" font-weight="600" text-anchor="middle">${esc(text)}</text>
<text x="${cw * i + cw / 2}" y="${h - 8}" fill="#9fa7b3" font-size="10" text-anchor="middle">${esc(clip(v.name, Math.floor(cw / 6)))}</text>`;
    })
    .join('');
}

function drawBars(p: Panel, results: TargetResult[], w: number, h: number): string {
  const vals = toValues(p, results).slice(0, Math.floor((h - 30) / 22));
  if (vals.length === 0) return noData(w, h);
  const max = p.fieldConfig?.defaults.max ?? Math.max(...vals.map((v) => v.value), 1e-9);
  const lw = Math.min(170, w * 0.38);
  const bw = w - lw - 90;
  return vals
    .map((v, i) => {
      const y = 30 + i * 22;
      const c =
        p.fieldConfig?.defaults.color?.mode === FieldColorModeId.Thresholds
          ? thresholdColor(p, v.value)
          : PALETTE[i % PALETTE.length]!;
      const len = Math.max(2, (Math.max(0, v.value) / max) * bw);
      return `<text x="10" y="${y + 12}" fill="#ccccdc" font-size="10">${esc(clip(v.name, Math.floor(lw / 6)))}</text>
<rect x="${lw}" y="${y}" width="${bw}" height="16" fill="#22252b"/><rect x="${lw}" y="${y}" width="${len.toFixed(1)}" height="16" fill="${c}" opacity="0.85"/>
<text x="${w - 10}" y="${y + 12}" fill="${c}" font-size="11" text-anchor="end">${esc(fmt(v.value, v.unit, v.decimals))}</text>`;
    })
    .join('');
}

function drawTable(p: Panel, results: TargetResult[], w: number, h: number): string {
  const r = results[0];
  if (!r?.rows || !r.columns || r.rows.length === 0) return noData(w, h);
  const cols = r.columns.slice(0, Math.max(2, Math.floor(w / 80)));
  const cw = (w - 16) / cols.length;
  const maxRows = Math.floor((h - 46) / 16);
  let s = cols
    .map(
      (c, i) =>
        `<text x="${8 + i * cw}" y="40" fill="#6e9fff" font-size="10" font-weight="600">${esc(clip(c.name, Math.floor(cw / 6)))}</text>`,
    )
    .join('');
  s += `<line x1="8" x2="${w - 8}" y1="45" y2="45" stroke="#2c3235"/>`;
  r.rows.slice(0, maxRows).forEach((row, k) => {
    cols.forEach((c, i) => {
      const raw = row[r.columns!.indexOf(c)];
      const { unit, decimals } = fieldUnit(p, c.name);
      let text: string;
      if (raw === null) text = '–';
      else if (/Int|Float|Decimal/.test(c.type) && !/dateTime/.test(unit ?? ''))
        text = fmt(Number(raw), unit, decimals);
      else
        text = (
          typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean'
            ? String(raw)
            : JSON.stringify(raw)
        ).replace(/\.\d{3}$/, '');
      s += `<text x="${8 + i * cw}" y="${60 + k * 16}" fill="#ccccdc" font-size="10">${esc(clip(text, Math.floor(cw / 6)))}</text>`;
    });
  });
  if (r.rows.length > maxRows)
    s += `<text x="${w - 10}" y="${h - 6}" fill="#9fa7b3" font-size="9" text-anchor="end">${r.rows.length} rows</text>`;
  return s;
}

function drawPie(p: Panel, results: TargetResult[], w: number, h: number): string {
  const vals = toValues(p, results).filter((v) => v.value > 0);
  if (vals.length === 0) return noData(w, h);
  const total = vals.reduce((a, v) => a + v.value, 0);
  const r = Math.min(w * 0.22, (h - 40) / 2);
  const cx = r + 20;
  const cy = 24 + (h - 24) / 2;
  let a0 = -Math.PI / 2;
  let s = '';
  vals.forEach((v, i) => {
    const a1 = a0 + (v.value / total) * Math.PI * 2;
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const pt = (a: number, rr: number) => `${(cx + rr * Math.cos(a)).toFixed(1)},${(cy + rr * Math.sin(a)).toFixed(1)}`;
    s += `<path d="M${pt(a0, r)}A${r},${r} 0 ${large} 1 ${pt(a1 - 1e-6, r)}L${pt(a1 - 1e-6, r * 0.55)}A${r * 0.55},${r * 0.55} 0 ${large} 0 ${pt(a0, r * 0.55)}Z" fill="${PALETTE[i % PALETTE.length]}"/>`;
    a0 = a1;
  });
  vals.slice(0, 8).forEach((v, i) => {
    const y = 40 + i * 16;
    s += `<rect x="${cx + r + 20}" y="${y - 8}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${cx + r + 36}" y="${y}" fill="#ccccdc" font-size="10">${esc(clip(v.name, 26))}  ${esc(fmt(v.value, v.unit, v.decimals))}  ${((v.value / total) * 100).toFixed(0)}%</text>`;
  });
  return s;
}

function drawStateTimeline(
  p: Panel,
  results: TargetResult[],
  w: number,
  h: number,
  range: { from: Date; to: Date },
): string {
  const series = toSeries(results);
  if (series.length === 0) return noData(w, h);
  const mapping = valueMap(p) ?? {};
  const t0 = range.from.getTime();
  const t1 = range.to.getTime();
  const lw = 170;
  const rowH = Math.min(28, (h - 50) / series.length);
  let s = '';
  series.forEach((se, k) => {
    const y = 30 + k * (rowH + 4);
    s += `<text x="8" y="${y + rowH / 2 + 4}" fill="#ccccdc" font-size="10">${esc(clip(se.name, 28))}</text>`;
    se.points.forEach(([t, v], i) => {
      const next = se.points[i + 1]?.[0] ?? Math.min(t + 60_000, t1);
      const x0 = lw + ((t - t0) / (t1 - t0)) * (w - lw - 10);
      const x1 = lw + ((next - t0) / (t1 - t0)) * (w - lw - 10);
      const m = mapping[String(v)];
      s += `<rect x="${x0.toFixed(1)}" y="${y}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${rowH}" fill="${COLOR_NAMES[m?.color ?? 'green'] ?? m?.color}" opacity="0.85"/>`;
    });
  });
  const legend = Object.values(mapping)
    .map(
      (m, i) =>
        `<rect x="${lw + i * 90}" y="${h - 16}" width="10" height="10" fill="${COLOR_NAMES[m.color ?? 'green'] ?? m.color}"/><text x="${lw + 14 + i * 90}" y="${h - 7}" fill="#ccccdc" font-size="10">${esc(m.text ?? '')}</text>`,
    )
    .join('');
  return s + legend;
}

function drawHistogram(p: Panel, results: TargetResult[], w: number, h: number): string {
  const values = (results[0]?.rows ?? []).map((r) => Number(r[0])).filter(Number.isFinite);
  if (values.length === 0) return noData(w, h);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const n = 20;
  const size = (hi - lo) / n || 1;
  const counts = new Array<number>(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - lo) / size))]! += 1;
  const max = Math.max(...counts);
  const pw = w - 70;
  const ph = h - 50;
  let s = `<g transform="translate(50,24)">`;
  counts.forEach((c, i) => {
    const bh = (c / max) * ph;
    s += `<rect x="${((i / n) * pw).toFixed(1)}" y="${(ph - bh).toFixed(1)}" width="${(pw / n - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${PALETTE[0]}" opacity="0.8"/>`;
  });
  for (let i = 0; i <= 4; i++)
    s += `<text x="${(i / 4) * pw}" y="${ph + 14}" fill="#9fa7b3" font-size="10" text-anchor="middle">${esc(fmt(lo + ((hi - lo) * i) / 4, p.fieldConfig?.defaults.unit))}</text>`;
  s += `<text x="-6" y="8" fill="#9fa7b3" font-size="10" text-anchor="end">${max}</text><text x="-6" y="${ph}" fill="#9fa7b3" font-size="10" text-anchor="end">0</text></g>`;
  return s;
}

function noData(w: number, h: number): string {
  return `<text x="${w / 2}" y="${h / 2 + 10}" fill="#9fa7b3" font-size="12" text-anchor="middle">No data</text>`;
}

function renderBoard(
  board: Dashboard,
  results: TargetResult[],
  range: { from: Date; to: Date },
  subtitle: string,
): string {
  const COL = 56;
  const ROW = 30;
  const W = 24 * COL;
  const panels = (board.panels ?? []).map((p) => ({ ...p, gridPos: p.gridPos ?? { x: 0, y: 0, w: 24, h: 1 } }));
  const H = Math.max(...panels.map((p) => (p.gridPos.y + p.gridPos.h) * ROW)) + 60;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W + 20}" height="${H}" viewBox="0 0 ${W + 20} ${H}" font-family="Inter, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#111217"/>
<text x="14" y="26" fill="#ccccdc" font-size="18" font-weight="600">${esc(board.title ?? '')}</text>
<text x="14" y="46" fill="#9fa7b3" font-size="11">${esc(subtitle)}</text>`;
  for (const p of panels) {
    const x = 10 + p.gridPos.x * COL;
    const y = 56 + p.gridPos.y * ROW;
    const w = p.gridPos.w * COL - 6;
    const h = p.gridPos.h * ROW - 6;
    if (p.type === 'row') {
      s += `<text x="${x + 4}" y="${y + 18}" fill="#ccccdc" font-size="13" font-weight="600">${esc((p.title ?? '').replace('$job', String(results.find((r) => r.query.includes('job_id = '))?.query.match(/job_id = '([^']+)'/)?.[1] ?? '')))}</text>`;
      continue;
    }
    const mine = results.filter((r) => r.panelId === p.id);
    let body: string;
    switch (p.type) {
      case 'timeseries':
        body = drawTimeseries(p, mine, w, h, range);
        break;
      case 'stat':
      case 'gauge':
        body = drawStat(p, mine, w, h);
        break;
      case 'bargauge':
      case 'barchart':
        body = drawBars(p, mine, w, h);
        break;
      case 'table':
        body = drawTable(p, mine, w, h);
        break;
      case 'piechart':
        body = drawPie(p, mine, w, h);
        break;
      case 'state-timeline':
        body = drawStateTimeline(p, mine, w, h, range);
        break;
      case 'histogram':
        body = drawHistogram(p, mine, w, h);
        break;
      default:
        body = noData(w, h);
    }
    s += `<g transform="translate(${x},${y})"><rect width="${w}" height="${h}" rx="3" fill="#181b1f" stroke="#2c3235"/>
<text x="10" y="17" fill="#ccccdc" font-size="12" font-weight="500">${esc(clip(p.title ?? '', Math.floor(w / 7)))}</text>${body}</g>`;
  }
  return `${s}\n</svg>\n`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '120' },
      out: { type: 'string', default: join(ROOT, 'docs', 'dashboards') },
    },
  });
  const seconds = Number(values.seconds);
  const out = values.out;
  mkdirSync(out, { recursive: true });
  const service = `aurea-demo-${Date.now().toString(36)}`;
  console.log(`running an @aurea/sdk workload as service ${service} for ${seconds} s …`);
  const run = await runSdkWorkload({
    serviceName: service,
    otlpEndpoint: OTLP,
    durationMs: seconds * 1000,
    exportIntervalMs: 1000,
    jobs: 8,
  });
  await pushGauge(OTLP, {
    service: `${service}-consumer`,
    name: 'aurea.consumer.lag',
    unit: '{message}',
    value: 12,
    attributes: { 'messaging.destination.partition.id': '0' },
  });
  await new Promise((r) => setTimeout(r, 5000));

  const dir = mkdtempSync(join(tmpdir(), 'aurea-render-'));
  const ch = await createClickHouse({ database: 'aurea', dataDir: dir });
  try {
    await migrate(ch);
    const now = Date.now();
    await loadTaskEvents(ch, [
      ...sampleTaskEvents({
        now,
        jobs: 48,
        seed: 5,
        hours: 20,
        services: ['orchestrator', 'review-bot', 'docs-agent'],
      }),
      ...run.events,
    ]);
    const boards = allBoards();
    const promRange = { from: new Date(now - (seconds + 60) * 1000), to: new Date(now) };
    const chRange = { from: new Date(now - 24 * 3_600_000), to: new Date(now) };
    const jobs: string[] = [];
    for (const board of Object.values(boards)) {
      const tags = board.tags ?? [];
      // Boards reading both (the agents board) run like the Prometheus boards: the SDK run's
      // service over the last minutes, its task events in ClickHouse.
      const isCh = tags.includes('clickhouse') && !tags.includes('prometheus');
      const both = tags.includes('clickhouse') && tags.includes('prometheus');
      // A picture is ~1400 px wide: ask for fewer buckets than a full-screen panel would.
      const b: Backends = isCh
        ? { clickhouse: ch, scrapeIntervalS: 15 }
        : { prometheusUrl: PROMETHEUS, scrapeIntervalS: 5, ...(both ? { clickhouse: ch } : {}) };
      const shaped: Dashboard = isCh
        ? {
            ...board,
            panels: (board.panels ?? []).map((p) => (p.type === 'timeseries' ? { ...p, maxDataPoints: 96 } : p)),
          }
        : board;
      const selection: Selection = isCh ? {} : { service: [service] };
      const range = isCh ? chRange : promRange;
      const { results, vars } = await runBoard(shaped, b, range, selection);
      if (vars.job && vars.job.selected !== '$__all') jobs.push(...vars.job.selected);
      const empty = results.filter((r) => (r.series ? r.series.length === 0 : (r.rows?.length ?? 0) === 0)).length;
      const subtitle = isCh
        ? `ClickHouse (embedded engine, real migrations): ${run.events.length} task events from the SDK run + 48 sample jobs · last 24 h · rendered ${new Date(now).toISOString().slice(0, 16)}Z`
        : `Prometheus (live stack, fed by @aurea/sdk → Collector)${both ? ' and ClickHouse (the same run\u2019s task events)' : ''}: service ${service} · last ${Math.round((seconds + 60) / 60)} min · rendered ${new Date(now).toISOString().slice(0, 16)}Z`;
      writeFileSync(join(out, `${board.uid}.svg`), renderBoard(shaped, results, range, subtitle));
      console.log(
        `${board.uid}: ${dataPanels(board).length} panels, ${results.length} targets, ${empty} empty → ${join(out, `${board.uid}.svg`)}`,
      );
    }
    if (jobs.length) console.log(`per-job board shows job ${jobs[0]}`);
  } finally {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
