// A stacked bar chart as inline SVG, rendered on the server: no script, no external asset, no chart
// library. Readable without JavaScript and without sight: the SVG is an image with a title and a summary
// (role="img", aria-labelledby), every segment has a <title> tooltip, every bar can link somewhere, and
// the same numbers are a table in a <details> below it.
import type { FC } from "hono/jsx";

/** One stacked series (a legend entry): its colour is the CSS class `s-<key>` (CHART_CSS). */
export interface ChartSeries {
  key: string;
  label: string;
}

export interface ChartBar {
  /** the x-axis label (shown every `labelEvery` bars) and the row heading of the data table */
  label: string;
  /** what a tooltip calls the bar: "2026-11-25 14:00 UTC" */
  title: string;
  /** where the bar leads (the audit log of that hour or day) */
  href?: string;
  /** one value per series, in the series' order (bottom to top) */
  values: number[];
}

/** Colours of the series classes: successes, then refusal reasons by rank, then the rest. */
export const SERIES_COLOURS: Record<string, string> = {
  ok: "#2e9d57",
  r0: "#d92d20",
  r1: "#f79009",
  r2: "#7a5af8",
  r3: "#e04f8f",
  r4: "#0e9384",
  r5: "#b54708",
  other: "#98a2b3",
};

export const CHART_CSS = `
.chart { width: 100%; height: auto; display: block; }
.chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #6b7280; }
.chart .grid { stroke: #eef0f3; stroke-width: 1; }
.chart .axis { stroke: #d0d5dd; stroke-width: 1; }
.chart a:hover rect, .chart a:focus rect { opacity: .8; }
.chart a:focus { outline: none; }
.chart a:focus .bar-hit { stroke: #2f5bd8; stroke-width: 2; }
.chart .bar-hit { fill: transparent; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 10px 0 0; padding: 0; list-style: none; font-size: 12.5px; color: var(--ink-2); }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { width: 10px; height: 10px; border-radius: 2px; display: inline-block; flex: none; }
.stats { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin-bottom: 14px; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #fafbfc; }
.stat .num { font-size: 20px; font-weight: 650; color: var(--ink); line-height: 1.2; }
.stat .what { font-size: 12px; color: var(--muted); }
.segmented { display: inline-flex; border: 1px solid #d0d5dd; border-radius: 6px; overflow: hidden; }
.segmented a { padding: 6px 12px; color: var(--ink-2); font-weight: 550; font-size: 13px; border-left: 1px solid #d0d5dd; }
.segmented a:first-child { border-left: 0; }
.segmented a.on { background: var(--brand-soft); color: var(--brand-dark); }
.segmented a:hover { text-decoration: none; background: #f9fafb; }
details.data { margin-top: 10px; font-size: 12.5px; }
details.data summary { cursor: pointer; color: var(--brand); }
details.data table { margin-top: 8px; }
.bar-cell { display: block; height: 8px; border-radius: 4px; background: #fda29b; min-width: 2px; }
@media (max-width: 860px) { .stats { grid-template-columns: 1fr 1fr; } }
${Object.entries(SERIES_COLOURS)
  .map(([key, colour]) => `.s-${key} { fill: ${colour}; background: ${colour}; }`)
  .join("\n")}
`;

const WIDTH = 760;
const HEIGHT = 230;
const PAD = { left: 44, right: 10, top: 12, bottom: 26 };

/** The top of the y axis: four grid steps of a round whole number, the smallest that reaches `n`. */
export function niceMax(n: number): number {
  const x = n / 4;
  if (x <= 1) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const v = step * magnitude;
    if (v >= x && Number.isInteger(v)) return 4 * v;
  }
  return 40 * magnitude;
}

const fmt = (n: number) => n.toLocaleString("en-US");

export const StackedBars: FC<{
  id: string;
  title: string;
  /** one sentence saying what the chart shows, for those who cannot see it */
  summary: string;
  series: ChartSeries[];
  bars: ChartBar[];
  labelEvery: number;
}> = (p) => {
  const totals = p.bars.map((b) => b.values.reduce((a, v) => a + v, 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, p.bars.length);
  const barW = Math.max(2, slot * 0.72);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, 1, 2, 3, 4].map((i) => (max * i) / 4);
  return (
    <figure class="chart-figure" id={p.id}>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${p.id}-title ${p.id}-desc`}
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id={`${p.id}-title`}>{p.title}</title>
        <desc id={`${p.id}-desc`}>{p.summary}</desc>
        {ticks.map((t) => (
          <g>
            <line class={t === 0 ? "axis" : "grid"} x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {fmt(t)}
            </text>
          </g>
        ))}
        {p.bars.map((bar, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          let base = 0;
          const segments = bar.values.map((v, s) => {
            const seg = { v, s, y0: base };
            base += v;
            return seg;
          });
          const body = (
            <g class="bar" data-total={totals[i]}>
              <rect class="bar-hit" x={x} y={PAD.top} width={barW} height={plotH}>
                <title>{`${bar.title}: ${fmt(totals[i]!)}`}</title>
              </rect>
              {segments
                .filter((seg) => seg.v > 0)
                .map((seg) => (
                  <rect
                    class={`s-${p.series[seg.s]!.key}`}
                    data-series={p.series[seg.s]!.key}
                    x={x}
                    y={y(seg.y0 + seg.v)}
                    width={barW}
                    height={Math.max(1, y(seg.y0) - y(seg.y0 + seg.v))}
                  >
                    <title>{`${bar.title} · ${p.series[seg.s]!.label}: ${fmt(seg.v)}`}</title>
                  </rect>
                ))}
            </g>
          );
          return bar.href ? (
            <a href={bar.href} aria-label={`${bar.title}: ${fmt(totals[i]!)}`}>
              {body}
            </a>
          ) : (
            body
          );
        })}
        {p.bars.map((bar, i) =>
          i % p.labelEvery === 0 ? (
            <text x={PAD.left + i * slot + slot / 2} y={HEIGHT - 8} text-anchor="middle">
              {bar.label}
            </text>
          ) : null,
        )}
      </svg>
      <ul class="legend" aria-hidden="true">
        {p.series
          .filter((_, s) => p.bars.some((b) => (b.values[s] ?? 0) > 0))
          .map((s) => (
            <li>
              <span class={`swatch s-${s.key}`} />
              {s.label}
            </li>
          ))}
      </ul>
      <details class="data">
        <summary>The numbers as a table</summary>
        <table class="list compact">
          <thead>
            <tr>
              <th>{p.bars.length > 0 && p.bars[0]!.label.includes(":") ? "Hour (UTC)" : "Day (UTC)"}</th>
              {p.series.map((s) => (
                <th>{s.label}</th>
              ))}
              <th>Total</th>
            </tr>
          </thead>
          <tbody>
            {p.bars.map((bar, i) => (
              <tr>
                <td class="nowrap">{bar.title}</td>
                {p.series.map((_, s) => (
                  <td>{fmt(bar.values[s] ?? 0)}</td>
                ))}
                <td>{fmt(totals[i]!)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
};
