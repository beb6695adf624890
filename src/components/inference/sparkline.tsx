/** A small line chart as inline SVG: one or more series over time, gaps where a value is missing. Pure. */
export interface ChartSeries {
  label: string;
  /** A Tailwind stroke class, e.g. `stroke-indigo-600`. */
  strokeClass: string;
  /** A Tailwind text class of the same colour, for the legend. */
  textClass: string;
  points: ReadonlyArray<{ t: number; v: number | null }>;
}

const WIDTH = 300;
const HEIGHT = 64;

export function Sparkline({
  title,
  series,
  unit,
  format = (v) => `${Math.round(v * 10) / 10}`,
}: {
  title: string;
  series: ChartSeries[];
  unit: string;
  format?: (v: number) => string;
}) {
  const all = series.flatMap((s) => s.points);
  const values = all.map((p) => p.v).filter((v): v is number => v !== null);
  const times = all.map((p) => p.t);
  if (values.length === 0 || times.length < 2) {
    return (
      <figure className="text-xs text-slate-500">
        <figcaption className="font-medium text-slate-600">{title}</figcaption>
        <p className="mt-1 rounded bg-slate-50 px-2 py-4 text-center">{values.length === 0 ? 'No data yet' : 'Waiting for a second sample'}</p>
      </figure>
    );
  }
  const tMin = Math.min(...times);
  const tMax = Math.max(...times);
  const vMax = Math.max(...values, 1e-9);
  const x = (t: number) => ((t - tMin) / Math.max(1, tMax - tMin)) * WIDTH;
  const y = (v: number) => HEIGHT - 2 - (v / vMax) * (HEIGHT - 4);
  return (
    <figure className="text-xs">
      <figcaption className="flex flex-wrap items-baseline justify-between gap-2">
        <span className="font-medium text-slate-600">{title}</span>
        <span className="flex flex-wrap gap-x-3">
          {series.map((s) => {
            const last = [...s.points].reverse().find((p) => p.v !== null)?.v ?? null;
            return (
              <span key={s.label} className={s.textClass}>
                {s.label} {last === null ? '—' : `${format(last)}${unit}`}
              </span>
            );
          })}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${title}, up to ${format(vMax)}${unit}`}
        className="mt-1 h-16 w-full rounded bg-slate-50"
      >
        {series.map((s) =>
          segments(s.points).map((segment, i) => (
            <polyline
              key={`${s.label}-${i}`}
              fill="none"
              strokeWidth={1.5}
              vectorEffect="non-scaling-stroke"
              className={s.strokeClass}
              points={segment.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}
            />
          )),
        )}
      </svg>
      <div className="flex justify-between text-[10px] text-slate-500">
        <span>{new Date(tMin).toLocaleTimeString()}</span>
        <span>
          max {format(vMax)}
          {unit}
        </span>
        <span>{new Date(tMax).toLocaleTimeString()}</span>
      </div>
    </figure>
  );
}

/** Runs of consecutive points with values; a missing value (server down) breaks the line. */
function segments(points: ReadonlyArray<{ t: number; v: number | null }>): Array<Array<{ t: number; v: number }>> {
  const out: Array<Array<{ t: number; v: number }>> = [];
  let current: Array<{ t: number; v: number }> = [];
  for (const p of points) {
    if (p.v === null) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push({ t: p.t, v: p.v });
  }
  if (current.length > 0) out.push(current);
  // a lone point still shows, as a dot-sized line
  return out.map((s) => (s.length === 1 && s[0] ? [s[0], { t: s[0].t + 1, v: s[0].v }] : s));
}
