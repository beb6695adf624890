import 'server-only';
/**
 * A reader for the Prometheus text exposition format (0.0.4), and the parts of OpenMetrics text that servers
 * mix into it (exemplars, `# EOF`). It reads what inference servers expose — gauges, counters, histogram
 * `_sum`/`_count` series — and nothing else: no protobuf, no UTF-8 quoted metric names.
 *
 * Lines it cannot read are counted and skipped rather than failing the whole page, because one odd line from a
 * server's custom collector should not hide the metrics around it.
 */
export interface PromSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface PromPage {
  samples: PromSample[];
  /** `# TYPE` declarations by metric family name. */
  types: ReadonlyMap<string, string>;
  /** Lines that were neither comments, blank, nor readable samples. */
  invalidLines: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePrometheusText(text: string): PromPage {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  let invalidLines = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)/.exec(line);
      if (type?.[1] && type[2]) types.set(type[1], type[2]);
      continue;
    }
    const sample = parseSampleLine(line);
    if (sample) samples.push(sample);
    else invalidLines++;
  }
  return { samples, types, invalidLines };
}

function parseSampleLine(line: string): PromSample | null {
  const name = NAME.exec(line)?.[0];
  if (!name) return null;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    if (!parsed) return null;
    Object.assign(labels, parsed.labels);
    rest = rest.slice(parsed.length);
  }
  // OpenMetrics exemplars follow the value after " # "; they are not part of the sample.
  const exemplar = rest.indexOf(' # ');
  if (exemplar >= 0) rest = rest.slice(0, exemplar);
  const fields = rest.trim().split(/\s+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === undefined || fields[0] === '') return null;
  const value = parseValue(fields[0]);
  if (value === null) return null;
  return { name, labels, value };
}

/** Reads `{a="x",b="y\"z"}` from the start of `text`; returns the labels and how many characters it used. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | null {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '}') return { labels, length: i + 1 };
    const labelName = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!labelName) return null;
    i += labelName.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') return null;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') return null;
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return null;
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else return null;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    labels[labelName] = value;
    while (text[i] === ' ') i++;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, length: i + 1 };
    return null;
  }
}

function parseValue(text: string): number | null {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** The series of one metric name, whatever their labels. */
export function seriesOf(page: PromPage, name: string): PromSample[] {
  return page.samples.filter((s) => s.name === name && Number.isFinite(s.value));
}

/** Sum over all series of a name (several engines, models or LoRA adapters report separately); null if absent. */
export function sumOf(page: PromPage, name: string): number | null {
  const series = seriesOf(page, name);
  return series.length === 0 ? null : series.reduce((total, s) => total + s.value, 0);
}

/** Largest value over all series of a name; null if absent. */
export function maxOf(page: PromPage, name: string): number | null {
  const series = seriesOf(page, name);
  return series.length === 0 ? null : Math.max(...series.map((s) => s.value));
}

/** The first name of `names` that the page has, summed; for metrics renamed between server versions. */
export function firstSum(page: PromPage, names: readonly string[]): number | null {
  for (const name of names) {
    const value = sumOf(page, name);
    if (value !== null) return value;
  }
  return null;
}

/** Distinct values of one label over the series of a name, in first-seen order. */
export function labelValues(page: PromPage, name: string, label: string): string[] {
  const seen = new Set<string>();
  for (const s of page.samples) {
    const value = s.labels[label];
    if (s.name === name && value !== undefined && value !== '') seen.add(value);
  }
  return [...seen];
}
