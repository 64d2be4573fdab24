import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ensurePromtool } from './ensure-prometheus';

/**
 * The shipped alert rules (config/prometheus/alerts.yml): promtool accepts them and the shipped
 * Prometheus config, their unit tests (alerts.test.yml, synthetic series) pass, every alert has such a
 * test, and every runbook_url points at a section of docs/operators/runbook.md.
 */
const root = resolve(__dirname, '../..');
const dir = join(root, 'config/prometheus');

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}

const rules = (
  parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

describe('alert rules', () => {
  let promtool: string;
  beforeAll(() => {
    promtool = ensurePromtool();
  }, 300_000);

  it('pass promtool check rules, and the shipped Prometheus config loads them', () => {
    const rulesCheck = spawnSync(promtool, ['check', 'rules', join(dir, 'alerts.yml')], { encoding: 'utf8' });
    expect(rulesCheck.stdout + rulesCheck.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(rulesCheck.status).toBe(0);
    const configCheck = spawnSync(promtool, ['check', 'config', join(dir, 'prometheus.yml')], {
      encoding: 'utf8',
    });
    expect(configCheck.stdout + configCheck.stderr).toContain('SUCCESS: 1 rule files found');
    expect(configCheck.status).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const output = execFileSync(promtool, ['test', 'rules', 'alerts.test.yml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(output).toContain('SUCCESS');
  });

  it('each fire in at least one unit test', () => {
    const tests = parse(readFileSync(join(dir, 'alerts.test.yml'), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    expect(rules.map((r) => r.alert).filter((name) => !fired.has(name))).toEqual([]);
  });

  it('point at a section of the runbook', () => {
    const runbook = readFileSync(join(root, 'docs/operators/runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of rules) {
      const url = rule.annotations.runbook_url;
      expect([rule.alert, url.split('#')[0]]).toEqual([rule.alert, 'docs/operators/runbook.md']);
      expect([rule.alert, anchors.has(url.split('#')[1])]).toEqual([rule.alert, true]);
    }
  });
});
