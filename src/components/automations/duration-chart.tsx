import { formatDuration } from '@/lib/format';

export interface DurationPoint {
  id: string;
  durationMs: number | null;
  outcome: 'running' | 'succeeded' | 'failed' | 'abandoned';
  startedAt: string;
}

const OUTCOME_FILL: Record<DurationPoint['outcome'], string> = {
  succeeded: 'fill-emerald-500',
  failed: 'fill-red-500',
  abandoned: 'fill-amber-500',
  running: 'fill-sky-400',
};

/** Run durations as bars, oldest left; colour says the outcome. Pure SVG, no chart library. */
export function DurationChart({ points }: { points: DurationPoint[] }) {
  const ordered = [...points].reverse();
  const max = Math.max(1, ...ordered.map((p) => p.durationMs ?? 0));
  const width = 100;
  const height = 40;
  // At least 20 slots, so a short history draws thin bars on the right instead of a few wide blocks.
  const slots = Math.max(ordered.length, 20);
  const bar = width / slots;
  const offset = slots - ordered.length;
  return (
    <figure className="mt-2">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        className="h-16 w-full rounded bg-slate-50"
        role="img"
        aria-label={`Durations of the last ${ordered.length} runs; longest ${formatDuration(max)}`}
      >
        {ordered.map((p, i) => {
          const h = Math.max(1, ((p.durationMs ?? 0) / max) * (height - 2));
          return (
            <rect key={p.id} x={(offset + i) * bar + bar * 0.15} y={height - h} width={bar * 0.7} height={h} className={OUTCOME_FILL[p.outcome]}>
              <title>{`${new Date(p.startedAt).toLocaleString()}: ${p.outcome}, ${formatDuration(p.durationMs)}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="mt-1 text-xs text-slate-500">Run durations, oldest to newest (longest {formatDuration(max)})</figcaption>
    </figure>
  );
}
