import parsePrometheusTextFormat, {
  type ParsedFamily,
  type ParsedSample,
} from 'parse-prometheus-text-format';

/** A /metrics answer, read. */
export interface Exposition {
  text: string;
  families: ParsedFamily[];
}

// The text format's sample line: name, optional label set, a float, optional timestamp. Floats are read as Go's
// ParseFloat reads them: Inf and NaN in any case (prom-client writes `Nan`).
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE_LINE = new RegExp(
  String.raw`^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:${LABEL}(?:,${LABEL})*,?)?\})? (?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?|nan)(?: -?\d+)?$`,
  'i',
);
const COMMENT_LINE =
  /^# (?:HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (?:counter|gauge|histogram|summary|untyped))$/;

/**
 * Parses a /metrics answer with parse-prometheus-text-format (prom2json's shape). That parser is lenient (it
 * reads `foo{bar} 1` without complaint), so every line is first held to the text format's grammar.
 */
export function parseExposition(text: string): Exposition {
  text.split('\n').forEach((line, i) => {
    if (line === '' || SAMPLE_LINE.test(line) || COMMENT_LINE.test(line)) return;
    throw new Error(`line ${i + 1} is not Prometheus text format: ${JSON.stringify(line)}`);
  });
  return { text, families: parsePrometheusTextFormat(text) };
}

const matches = (sample: ParsedSample, labels: Record<string, string>) =>
  Object.entries(labels).every(([k, v]) => sample.labels?.[k] === v);

function family(families: ParsedFamily[], name: string, type: ParsedFamily['type']): ParsedFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric ${name} in ${families.map((f) => f.name).join(', ')}`);
  if (found.type !== type) throw new Error(`${name} is a ${found.type}, not a ${type}`);
  return found;
}

/** The value of the counter or gauge sample of `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(
  { families }: Exposition,
  name: string,
  type: 'COUNTER' | 'GAUGE',
  labels: Record<string, string> = {},
): number {
  const sample = family(families, name, type).metrics.find((m) => matches(m, labels));
  return sample ? Number(sample.value) : 0;
}

/**
 * A histogram's observations count and cumulative buckets, or null when it has none. The parser folds every
 * label set of a histogram into one sample and drops labelled `_sum`/`_count` lines, so this reads histograms
 * with at most one label set (and refuses others) and takes the count from the `+Inf` bucket.
 */
export function histogramOf(
  { text, families }: Exposition,
  name: string,
): { count: number; buckets: Record<string, number> } | null {
  const labelSets = text.split('\n').filter((line) => line.startsWith(`${name}_count`)).length;
  if (labelSets > 1) throw new Error(`${name} has ${labelSets} label sets: the parser would merge them`);
  const sample = family(families, name, 'HISTOGRAM').metrics[0];
  if (!sample?.buckets) return null;
  const buckets = Object.fromEntries(Object.entries(sample.buckets).map(([le, n]) => [le, Number(n)]));
  return { count: buckets['+Inf'] ?? 0, buckets };
}
