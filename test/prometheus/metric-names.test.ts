import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';
import { exportedNames, metricNames } from './promql-names';

/**
 * Every metric the shipped alert rules and Grafana dashboard read is one a running ilpd exports: a
 * renamed or mistyped metric would otherwise leave an alert that can never fire, or an empty graph.
 * The names come from scraping a real daemon (with the worker pool on, so the engine's series exist).
 */
const root = resolve(__dirname, '../..');
/** Series Prometheus itself adds to every scrape target. */
const FROM_PROMETHEUS = new Set(['up']);

interface Panel {
  title?: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function dashboardExpressions(): { where: string; names: string[] }[] {
  const dashboard = JSON.parse(readFileSync(join(root, 'config/grafana/ilpd-dashboard.json'), 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; query?: { query: string } | string }[] };
  };
  const out: { where: string; names: string[] }[] = [];
  const visit = (panel: Panel): void => {
    for (const target of panel.targets ?? [])
      out.push({ where: `panel "${panel.title}"`, names: metricNames(target.expr) });
    for (const child of panel.panels ?? []) visit(child);
  };
  dashboard.panels.forEach(visit);
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const labelValues = query === undefined ? null : /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query);
    if (labelValues !== null) out.push({ where: `variable $${variable.name}`, names: [labelValues[1]] });
  }
  return out;
}

function ruleExpressions(): { where: string; names: string[] }[] {
  const doc = parse(readFileSync(join(root, 'config/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return doc.groups
    .flatMap((g) => g.rules)
    .map((r) => ({ where: `alert ${r.alert}`, names: metricNames(r.expr) }));
}

describe('metric names in the alert rules and the dashboard', () => {
  let exported: Set<string>;

  beforeAll(async () => {
    const daemon = await DaemonProcess.start({
      peers: [childPeer('alice', 'alice-secret')],
      config: { engine: { workers: 1 } },
    });
    try {
      exported = exportedNames((await daemon.getJson('/metrics')).body as string);
    } finally {
      await daemon.stop();
      await daemon.dispose();
    }
  }, 60_000);

  it('reads the names out of PromQL as expected', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{code="x y"}[5m]))) / on (job) group_left b > 1e3 and c offset 5m',
      ).sort(),
    ).toEqual(['a_bucket', 'b', 'c']);
  });

  it('finds the exported names it compares against', () => {
    expect(exported.has('ilpd_packets_total')).toBe(true);
    expect(exported.has('ilpd_packet_duration_seconds_bucket')).toBe(true);
    expect(exported.has('process_start_time_seconds')).toBe(true);
  });

  it('uses only metrics ilpd exports', () => {
    const expressions = [...ruleExpressions(), ...dashboardExpressions()];
    expect(expressions.length).toBeGreaterThan(20);
    const unknown = expressions.flatMap(({ where, names }) =>
      names.filter((n) => !exported.has(n) && !FROM_PROMETHEUS.has(n)).map((n) => `${where}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });
});
