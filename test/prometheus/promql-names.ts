/**
 * Metric names a PromQL expression reads, for checking alert rules and dashboards against what ilpd
 * exports. Not a full PromQL parser: strings, label matchers, durations, grouping clauses and
 * function calls are removed, and what remains that looks like an identifier is a metric name.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+|\$\{[^}]*\}/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call (rate, sum, histogram_quantile, …)
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    // A number's exponent (1e3) or unit is not an identifier preceded by a digit.
    const before = stripped[(match.index ?? 0) - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** Metric names a Prometheus text exposition declares (# TYPE), with histogram/summary series names. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
