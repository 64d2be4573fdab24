import { encodeFulfill, encodePrepare, decodeFulfill } from '@ilpd/codec';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBtpPeer, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess, freePort, REPO_ROOT } from '../helpers/daemon-process';
import { ensurePrometheus } from './ensure-prometheus';

jest.setTimeout(300_000);

/**
 * A real Prometheus server scrapes a real ilpd, answers a PromQL query for the packet counter, and
 * evaluates the shipped alert rules against the real series without an error.
 */
describe('Prometheus scrapes ilpd /metrics', () => {
  let daemon: DaemonProcess;
  let prometheus: ChildProcess | undefined;
  let promDir: string;
  let promPort: number;
  const peers: BtpPeer[] = [];

  beforeAll(async () => {
    const binary = ensurePrometheus();
    daemon = await DaemonProcess.start({
      address: 'test.prom',
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0 } },
    });
    promDir = mkdtempSync(join(tmpdir(), 'ilpd-prometheus-'));
    promPort = await freePort();
    writeFileSync(
      join(promDir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(join(REPO_ROOT, 'config/prometheus/alerts.yml'))}`,
        'scrape_configs:',
        '  - job_name: ilpd',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${daemon.httpPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      binary,
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await daemon?.stop();
    await daemon?.dispose();
    if (promDir !== undefined) rmSync(promDir, { recursive: true, force: true });
  });

  async function query(promql: string): Promise<number | undefined> {
    const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`;
    try {
      const res = await fetch(url);
      if (!res.ok) return undefined;
      const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      const first = body.data?.result?.[0];
      return first === undefined ? undefined : Number(first.value[1]);
    } catch {
      return undefined; // Prometheus still starting
    }
  }

  it('reads back the fulfilled-packet counter through the query API', async () => {
    const fulfillment = Buffer.alloc(32, 7);
    const condition = createHash('sha256').update(fulfillment).digest();
    const url = `ws://127.0.0.1:${daemon.btpPort}`;
    const bob = await connectBtpPeer(url, { username: 'bob', token: 'bob-secret' });
    peers.push(bob);
    bob.setPrepareHandler(() => encodeFulfill({ fulfillment, data: Buffer.alloc(0) }));
    const alice = await connectBtpPeer(url, { username: 'alice', token: 'alice-secret' });
    peers.push(alice);
    const sent = 5;
    for (let i = 0; i < sent; i++) {
      const answer = await alice.sendIlp(
        encodePrepare({
          amount: 1000n,
          expiresAt: new Date(Date.now() + 10_000),
          executionCondition: condition,
          destination: 'test.prom.bob.receiver',
          data: Buffer.alloc(0),
        }),
      );
      expect(decodeFulfill(answer).fulfillment).toEqual(fulfillment);
    }

    const promql = 'sum(ilpd_packets_total{job="ilpd",result="fulfilled"})';
    let value: number | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      value = await query(promql);
      if (value !== undefined && value >= sent) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(value).toBeGreaterThanOrEqual(sent);
  });

  it('evaluates every shipped alert rule against the scraped series without an error', async () => {
    interface RuleState {
      name: string;
      health: string;
      lastError?: string;
      lastEvaluation: string;
    }
    let rules: RuleState[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`);
        const body = (await res.json()) as { data: { groups: { rules: RuleState[] }[] } };
        rules = body.data.groups.flatMap((g) => g.rules);
        if (rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001'))) break;
      } catch {
        // Prometheus still starting.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(rules.length).toBeGreaterThanOrEqual(15);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  });
});
