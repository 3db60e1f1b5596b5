import type { RunDetail } from '../ledger/ledger.js';
import { budgetMoney, commandLine, money, plural, stamp } from '../ledger/text.js';
import { formatPercent } from '../model/format.js';
import { recipeFor } from '../supervisor/agent-recipes.js';
import { runCurve, stopName } from './curve-data.js';
import { mainModel, type ReviewData, type Slice } from './review-data.js';
import { barRows, curveChart, dayChart, esc, markLegend } from './svg.js';

/** Below this many runs a window is too thin to read a trend from, and the page says so. */
export const FEW_RUNS = 3;

// Okabe–Ito colours: told apart with the common colour-vision deficiencies; lighter ones in dark mode.
const CSS = `
:root{--bg:#fff;--fg:#1d1d1f;--muted:#5f6368;--grid:#e3e3e3;--spend:#0072B2;--prev:#56B4E9;--rate:#D55E00;--verify:#009E73;
  --approval:#E69F00;--escalation:#CC79A7;--stop:#D55E00;--cap:#5f6368}
@media (prefers-color-scheme: dark){:root{--bg:#16181d;--fg:#e8e8e8;--muted:#a0a4ab;--grid:#33363d;
  --spend:#56B4E9;--prev:#0072B2;--rate:#E69F00;--verify:#009E73;
  --approval:#F0E442;--escalation:#CC79A7;--stop:#D55E00;--cap:#a0a4ab}}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:960px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px}
.sub,.note,.legend,td.muted{color:var(--muted)}.empty{font-size:16px;padding:24px;border:1px dashed var(--grid);border-radius:8px}
.figures{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.figures div{border:1px solid var(--grid);border-radius:8px;padding:8px 14px;min-width:120px}
.figures b{display:block;font-size:20px}
svg text{fill:var(--fg);font-size:11px}svg .axis{fill:var(--muted)}
.grid{stroke:var(--grid)}.bar{fill:var(--spend)}.prev{fill:var(--prev);opacity:.3}
.rate{fill:none;stroke:var(--rate);stroke-width:2}.rate-dot{fill:var(--rate)}.trend{fill:none;stroke:var(--rate);stroke-width:1.5}
.curve{fill:none;stroke:var(--spend);stroke-width:2}.cap{stroke:var(--cap);stroke-dasharray:5 4}
.mark{stroke-width:2}.mark-verification,.mark-implementation{stroke:var(--verify);stroke-dasharray:4 3}
.mark-approval{stroke:var(--approval);stroke-dasharray:1 3;stroke-width:3}
.mark-escalation{stroke:var(--escalation);stroke-dasharray:6 2 1 2}.mark-stop{stroke:var(--stop);stroke-width:3}
.point-implementation{fill:var(--spend)}.point-verification{fill:var(--verify)}.point:hover,[data-tip]:hover{stroke:var(--fg);stroke-width:2}
.key{display:inline-flex;align-items:center;gap:4px;margin-right:14px}.swatch{display:inline-block;width:12px;height:12px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:6px 8px;border-bottom:1px solid var(--grid);vertical-align:top}
code{font:12px ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
#tip{position:absolute;max-width:420px;background:var(--fg);color:var(--bg);padding:6px 8px;border-radius:6px;font-size:12px;pointer-events:none}
`;

// Hovering anything with data-tip shows its text (SVG <title> alone is slow to appear and not selectable).
const SCRIPT =
  `(()=>{const t=document.getElementById('tip');` +
  `document.addEventListener('mouseover',e=>{const el=e.target instanceof Element?e.target.closest('[data-tip]'):null;` +
  `if(!el){t.hidden=true;return}t.textContent=el.getAttribute('data-tip');t.hidden=false;` +
  `const r=el.getBoundingClientRect();t.style.left=(r.right+scrollX+8)+'px';t.style.top=(r.top+scrollY-8)+'px'})})()`;

/** A whole page: inline style and script only, and a policy that forbids fetching anything. */
function page(heading: string, body: string): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">` +
    `<title>${esc(heading)}</title><style>${CSS}</style></head><body><main>${body}</main><div id="tip" ` +
    `role="tooltip" hidden></div><script>${SCRIPT}</script></body></html>\n`
  );
}

const figure = (name: string, value: string, note = ''): string =>
  `<div>${esc(name)}<b>${esc(value)}</b>${note ? `<span class="note">${esc(note)}</span>` : ''}</div>`;
const rateText = (rate: number | null): string => (rate === null ? '–' : formatPercent(rate, 'tenths'));

function slices(rows: readonly Slice[], label: string): string {
  const shown = rows.filter((r) => r.usd > 0);
  if (shown.length === 0) return '<p class="note">Nothing spent.</p>';
  return barRows(
    shown.map((r) => ({ label: r.label, value: r.usd, text: money(r.usd) })),
    label,
  );
}

/** The page of `capped report --html`. */
export function reviewPage(data: ReviewData, where: string): string {
  const tz = data.timeZone;
  const heading = `capped review: ${stamp(data.since, tz)} to ${stamp(data.now, tz)}`;
  let body = `<h1>${esc(heading)}</h1><p class="sub">${esc(`Days in ${tz} · ledger ${where}`)}</p>`;
  if (data.runs === 0) {
    body +=
      `<p class="empty" id="empty">No runs were recorded in this ` +
      `window${data.previous.runs > 0 ? ` (the window before had ${plural(data.previous.runs, 'run')})` : ''}. ` +
      'Runs started with <code>capped run</code> appear here; try a longer window with <code>--since 30d</code>.</p>';
    return page(heading, body);
  }
  body += '<section class="figures">';
  body += figure('Spent', money(data.spentUsd), `previous ${money(data.previous.spentUsd)}`);
  body += figure('Runs', data.runs.toLocaleString('en-US'), `previous ${data.previous.runs}`);
  body += figure(
    'Breach rate',
    rateText(data.breachRate),
    `${data.breaches} of ${data.runs} exceeded their initial budget; previous ${rateText(data.previous.breachRate)}`,
  );
  body += '</section>';
  if (data.runs < FEW_RUNS) body += `<p class="note" id="few">Only ${plural(data.runs, 'run')} in this window: too few to read a trend from.</p>`;

  body += '<section id="days"><h2>Spend per day</h2>';
  body +=
    '<p class="legend"><span class="key"><span class="swatch bar-key" ' +
    'style="background:var(--spend)"></span>spend</span><span class="key"><span class="swatch" ' +
    'style="background:var(--prev);opacity:.3"></span>previous window</span><span class="key"><span ' +
    'class="swatch" style="background:var(--rate);height:3px"></span>breach rate (right axis)</span></p>';
  body += `${dayChart(data.days)}</section>`;

  body += '<section id="causes"><h2>Breaches by cause</h2>';
  if (data.causes.length === 0) {
    body += '<p class="note">No run exceeded its initial budget in this window.</p>';
  } else {
    body += '<p class="legend">Runs per cause this window; faded: the window before; line: per day.</p>';
    body += barRows(
      data.causes.map((c) => ({ label: c.cause, value: c.runs, previous: c.previousRuns, text: `${c.runs} (before: ${c.previousRuns})`, trend: c.perDay })),
      'Breaches by cause',
    );
  }
  body += '</section>';

  body +=
    `<section id="top"><h2>The ` +
    `${data.top.length === 1 ? 'most expensive run' : `${data.top.length} most expensive runs`}</h2>${markLegend()}<table><tbody>`;
  for (const run of data.top) {
    const breach = run.exceededInitialBudget ? ' · <b>exceeded its initial budget</b>' : '';
    body +=
      `<tr class="top-run" data-run="${esc(run.id)}"><td>${curveChart(run.curve, false, `Spend over time of run ${run.id}`)}</td>` +
      `<td><b>${esc(money(run.spentUsd))}</b> ` +
      `${run.capUsd === null ? 'with no dollar cap' : `of cap ${esc(budgetMoney(run.capUsd))}`}${breach}<br>` +
      `${esc(run.agent)} · <code>${esc(run.model)}</code> · ${esc(run.repo)}` +
      `<br><code>${esc(commandLine(run.command))}</code><br><span class="note">${esc(run.id)}</span></td></tr>`;
  }
  body += '</tbody></table></section>';

  body += `<section id="by-model"><h2>Spend by model</h2>${slices(data.byModel, 'Spend by model')}</section>`;
  body += `<section id="by-phase"><h2>Spend by phase</h2>${slices(data.byPhase, 'Spend by phase')}</section>`;
  body += `<section id="by-repo"><h2>Spend by repository</h2>${slices(data.byRepo, 'Spend by repository')}</section>`;
  return page(heading, body);
}

/** The page of one run (`capped runs show <id> --html`, `capped run --summary-html`). */
export function runPage(run: RunDetail, opts: { timeZone?: string; note?: string } = {}): string {
  const { timeZone, note } = opts;
  const heading = `capped run ${run.id}`;
  const r = run.record;
  const outcome = r.hardStop
    ? `stopped at the ${stopName(r.hardStop.reason)}`
    : run.exceededInitialBudget
      ? 'exceeded its initial budget'
      : run.status === 'running'
        ? 'still running'
        : 'within budget';
  let body =
    `<h1>${esc(heading)}</h1><p ` +
    `class="sub"><code>${esc(commandLine(run.command))}</code><br>${esc(`${recipeFor(run.command).name} · ${mainModel(run)} · ${run.repo}`)}</p>`;
  body += '<section class="figures">';
  body += figure('Spent', money(r.spent.usd), run.budgetUsd === null ? 'no dollar cap' : `cap ${budgetMoney(run.budgetUsd)}`);
  body += figure('Requests', r.spent.requests.toLocaleString('en-US'));
  body += figure('Outcome', outcome, `exit code ${r.exitCode}`);
  body += figure('Phases', `${money(r.phases.implementation.usd)} / ${money(r.phases.verification.usd)}`, 'implementation / verification');
  body += '</section>';
  if (note) body += `<p class="note">${esc(note)}</p>`;
  body += '<section id="curve"><h2>Spend over time</h2>';
  const curve = runCurve(run);
  body +=
    curve.points.length === 0
      ? '<p class="empty" id="empty">This run has no recorded requests: there is no curve to draw.</p>'
      : `${markLegend()}${curveChart(curve, true, `Spend over time of run ${run.id}`)}`;
  body += '</section>';
  if (curve.marks.length > 0) {
    body += '<section id="marks"><h2>Marked on the curve</h2><table><tbody>';
    for (const m of curve.marks) body += `<tr><td>${esc(stamp(m.at, timeZone, true))}</td><td>${esc(m.label)}</td></tr>`;
    body += '</tbody></table></section>';
  }
  return page(heading, body);
}
