/**
 * Every chart of the HTML pages, as plain SVG strings. No charting package fit: the server-side
 * ones need a DOM (jsdom) or carry a commercial licence, and these charts are a few shapes each.
 * Colours are classes styled by the page (Okabe–Ito palette, light and dark), not attributes, so
 * `prefers-color-scheme` can change them; marks also differ by dash pattern, not by colour alone.
 */
import { money } from '../ledger/text.js';
import { formatDuration } from '../model/format.js';
import type { Curve, CurveMark } from './curve-data.js';
import type { ReviewDay } from './review-data.js';

/** Text made safe for HTML element content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const f = (n: number): string => (Math.round(n * 10) / 10).toString();
const title = (text: string): string => `<title>${esc(text)}</title>`;
const tip = (text: string): string => ` data-tip="${esc(text)}"`;
const pct = (rate: number): string => `${Math.round(rate * 1000) / 10}%`;

/** A round upper bound for an axis (1, 2 or 5 times a power of ten), never 0. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const pow = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((m) => m * pow >= value) ?? 10) * pow;
}

function svg(width: number, height: number, label: string, body: string, cls: string): string {
  return (
    `<svg class="${cls}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="${esc(label)}">${title(label)}${body}</svg>`
  );
}

/** Spend per day as bars, the previous window's days faded behind, and the breach rate as a line. */
export function dayChart(days: readonly ReviewDay[]): string {
  const W = 760;
  const H = 260;
  const m = { l: 56, r: 48, t: 14, b: 34 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const top = niceMax(Math.max(...days.map((d) => Math.max(d.usd, d.previousUsd ?? 0))));
  const slot = pw / days.length;
  const y = (usd: number): number => m.t + ph - (usd / top) * ph;
  const yr = (rate: number): number => m.t + ph - rate * ph;
  const x = (i: number): number => m.l + slot * i;
  let body = '';
  for (const frac of [0, 0.5, 1]) {
    body += `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${f(y(top * frac))}" y2="${f(y(top * frac))}"/>`;
    body += `<text class="axis" x="${m.l - 6}" y="${f(y(top * frac) + 4)}" text-anchor="end">${esc(money(top * frac))}</text>`;
    body += `<text class="axis rate-axis" x="${W - m.r + 6}" y="${f(yr(frac) + 4)}">${pct(frac)}</text>`;
  }
  const every = Math.ceil(days.length / 14);
  days.forEach((d, i) => {
    if (d.previousUsd !== null && d.previousUsd > 0) {
      const h = y(0) - y(d.previousUsd);
      body +=
        `<rect class="prev" x="${f(x(i) + slot * 0.1)}" y="${f(y(d.previousUsd))}" width="${f(slot * 0.8)}" ` +
        `height="${f(h)}"${tip(`${d.previousDay}: ${money(d.previousUsd)} (previous window)`)}>${title(`${d.previousDay}: ${money(d.previousUsd)}`)}</rect>`;
    }
    const h = Math.max(d.usd > 0 ? 1 : 0, y(0) - y(d.usd));
    const text = `${d.day}: ${money(d.usd)} spent, ${d.runs} run${d.runs === 1 ? '' : 's'}, ${d.breaches} breach${d.breaches === 1 ? '' : 'es'}`;
    body +=
      `<rect class="bar" data-day="${esc(d.day)}" x="${f(x(i) + slot * 0.25)}" y="${f(y(0) - h)}" ` +
      `width="${f(slot * 0.5)}" height="${f(h)}"${tip(text)}>${title(text)}</rect>`;
    if (i % every === 0) body += `<text class="axis" x="${f(x(i) + slot / 2)}" y="${H - m.b + 16}" text-anchor="middle">${esc(d.day.slice(5))}</text>`;
  });
  const rated = days.map((d, i) => ({ d, i })).filter(({ d }) => d.breachRate !== null);
  // One line per stretch of days with runs: a day without runs has no rate, and is not drawn as one.
  const stretches: (typeof rated)[] = [];
  for (const r of rated) {
    const last = stretches.at(-1);
    if (last && last.at(-1)!.i === r.i - 1) last.push(r);
    else stretches.push([r]);
  }
  for (const line of stretches.filter((l) => l.length > 1)) {
    body += `<polyline class="rate" points="${line.map(({ d, i }) => `${f(x(i) + slot / 2)},${f(yr(d.breachRate!))}`).join(' ')}"/>`;
  }
  for (const { d, i } of rated) {
    const text = `${d.day}: breach rate ${pct(d.breachRate!)} (${d.breaches} of ${d.runs})`;
    body += `<circle class="rate-dot" cx="${f(x(i) + slot / 2)}" cy="${f(yr(d.breachRate!))}" r="4"${tip(text)}>${title(text)}</circle>`;
  }
  return svg(W, H, 'Spend per day with the breach rate per day', body, 'chart days');
}

export interface BarRow {
  label: string;
  value: number;
  /** The same figure in the previous window, drawn faded behind. */
  previous?: number;
  /** How the value is written beside its bar. */
  text: string;
  /** A small per-day trend drawn after the value. */
  trend?: readonly number[];
}

/** Horizontal bars, one row per label. */
export function barRows(rows: readonly BarRow[], label: string): string {
  const W = 760;
  const row = 26;
  const labelW = 230;
  const valueW = 110;
  const trendW = rows.some((r) => r.trend) ? 140 : 0;
  const bw = W - labelW - valueW - trendW - 10;
  const top = niceMax(Math.max(...rows.map((r) => Math.max(r.value, r.previous ?? 0))));
  let body = '';
  rows.forEach((r, i) => {
    const yy = i * row + 4;
    const shown = r.label.length > 34 ? `…${r.label.slice(-33)}` : r.label;
    body += `<text class="label" x="${labelW - 8}" y="${yy + 14}" text-anchor="end">${shown === r.label ? '' : title(r.label)}${esc(shown)}</text>`;
    if (r.previous !== undefined && r.previous > 0) {
      body += `<rect class="prev" x="${labelW}" y="${yy}" width="${f((r.previous / top) * bw)}" height="18">${title(`previous window: ${r.previous}`)}</rect>`;
    }
    const w = Math.max(r.value > 0 ? 1 : 0, (r.value / top) * bw);
    body += `<rect class="bar" x="${labelW}" y="${yy + 4}" width="${f(w)}" height="10"${tip(`${r.label}: ${r.text}`)}>${title(`${r.label}: ${r.text}`)}</rect>`;
    body += `<text class="value" x="${labelW + bw + 8}" y="${yy + 14}">${esc(r.text)}</text>`;
    if (r.trend) body += sparkline(r.trend, labelW + bw + valueW, yy, trendW - 10, 18);
  });
  return svg(W, rows.length * row + 8, label, body, 'chart rows');
}

function sparkline(values: readonly number[], x0: number, y0: number, w: number, h: number): string {
  const top = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const pts = values.map((v, i) => `${f(x0 + step * i)},${f(y0 + h - (v / top) * h)}`).join(' ');
  return `<polyline class="trend" points="${pts}">${title(`per day: ${values.join(', ')}`)}</polyline>`;
}

const MARK_NAMES: Record<CurveMark['kind'], string> = {
  verification: 'verification starts',
  implementation: 'back to implementation',
  approval: 'approval',
  escalation: 'escalation',
  stop: 'hard stop',
};

/** The legend of the curve marks, as HTML. */
export function markLegend(): string {
  const items = Object.entries(MARK_NAMES)
    .map(
      ([kind, name]) =>
        `<span class="key"><svg width="22" height="12" aria-hidden="true"><line class="mark mark-${kind}" ` +
        `x1="11" x2="11" y1="0" y2="12"/></svg>${esc(name)}</span>`,
    )
    .join('');
  return (
    `<p class="legend"><span class="key"><svg width="22" height="12" aria-hidden="true"><line ` +
    `class="curve" x1="0" x2="22" y1="10" y2="2"/></svg>spend</span>${items}<span class="key"><svg ` +
    `width="22" height="12" aria-hidden="true"><line class="cap" x1="0" x2="22" y1="6" ` +
    `y2="6"/></svg>cap</span></p>`
  );
}

/**
 * A run's spend over time: a step line through its requests, the cap as a dashed line, and
 * vertical marks. `large` adds axes and one hoverable point per request.
 */
export function curveChart(curve: Curve, large: boolean, label: string): string {
  const W = large ? 900 : 240;
  const H = large ? 360 : 64;
  const m = large ? { l: 64, r: 40, t: 14, b: 34 } : { l: 2, r: 2, t: 4, b: 4 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const topUsd = niceMax(Math.max(curve.totalUsd, curve.capUsd ?? 0));
  const span = curve.spanMs > 0 ? curve.spanMs : 1;
  const x = (t: number): number => m.l + (t / span) * pw;
  const y = (usd: number): number => m.t + ph - (usd / topUsd) * ph;
  let body = '';
  if (large) {
    for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
      body += `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${f(y(topUsd * frac))}" y2="${f(y(topUsd * frac))}"/>`;
      body += `<text class="axis" x="${m.l - 6}" y="${f(y(topUsd * frac) + 4)}" text-anchor="end">${esc(money(topUsd * frac))}</text>`;
      body += `<text class="axis" x="${f(m.l + pw * frac)}" y="${H - m.b + 18}" text-anchor="middle">${esc(formatDuration(span * frac, 'clock'))}</text>`;
    }
  }
  if (curve.capUsd !== null)
    body += `<line class="cap" x1="${m.l}" x2="${W - m.r}" y1="${f(y(curve.capUsd))}" y2="${f(y(curve.capUsd))}">${title(`cap ${money(curve.capUsd)}`)}</line>`;
  for (const mark of curve.marks) {
    body +=
      `<line class="mark mark-${mark.kind}" x1="${f(x(mark.t))}" x2="${f(x(mark.t))}" y1="${m.t}" ` +
      `y2="${m.t + ph}"${tip(mark.label)}>${title(`${mark.label} (${mark.at})`)}</line>`;
  }
  let d = `M${f(x(0))},${f(y(0))}`;
  let last = 0;
  for (const p of curve.points) {
    d += ` H${f(x(p.t))} V${f(y(p.usd))}`;
    last = p.usd;
  }
  d += ` H${f(x(span))} V${f(y(last))}`;
  body += `<path class="curve" d="${d}"/>`;
  if (large) {
    for (const p of curve.points) {
      const tokens = p.tokens.input + p.tokens.output + p.tokens.cacheRead + p.tokens.cacheWrite;
      const text =
        `${money(p.costUsd)} on ${p.model} (${p.phase}) · ${tokens.toLocaleString('en-US')} tokens ` +
        `(in ${p.tokens.input}, out ${p.tokens.output}, cache read ${p.tokens.cacheRead}, cache write ${p.tokens.cacheWrite}) · ` +
        `${money(p.usd)} so far at ${p.at}${p.estimated ? ' · estimated' : ''}${p.reserved ? ' · reserved, not settled' : ''}`;
      body +=
        `<circle class="point point-${p.phase === 'verification' ? 'verification' : 'implementation'}" ` +
        `cx="${f(x(p.t))}" cy="${f(y(p.usd))}" r="4"${tip(text)}>${title(text)}</circle>`;
    }
  }
  return svg(W, H, label, body, large ? 'chart curve-chart large' : 'chart curve-chart small');
}
