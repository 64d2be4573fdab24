import pino from 'pino';
import { AdminServer, type Readiness } from '../../src/http/admin-server';
import { DaemonMetrics } from '../../src/telemetry/metrics';

describe('AdminServer', () => {
  let server: AdminServer;
  let base: string;
  let readiness: Readiness;

  beforeEach(async () => {
    readiness = { ready: true, reasons: [] };
    server = new AdminServer({
      http: { host: '127.0.0.1', port: 0 },
      metrics: new DaemonMetrics(),
      logger: pino({ level: 'silent' }),
      readiness: () => readiness,
      peers: () => [
        { id: 'alice', relation: 'child', enabled: true, connected: true, assetCode: 'USD', assetScale: 9 },
      ],
      routes: () => [{ prefix: 'test.me.alice', nextHop: 'alice', path: [] }],
      routingStatus: () => ({ currentEpoch: 3 }),
      balances: () =>
        Promise.resolve({
          backend: 'embedded',
          balances: [
            {
              peerId: 'alice',
              assetCode: 'USD',
              assetScale: 9,
              balance: 18446744073709551615n,
              pendingIncoming: 0n,
              pendingOutgoing: -3n,
            },
          ],
          liquidity: [{ assetCode: 'USD', assetScale: 9, balance: -18446744073709551615n }],
          settlement: [{ assetCode: 'USD', assetScale: 9, balance: 0n }],
        }),
    });
    const address = await server.listen();
    base = `http://127.0.0.1:${address.port}`;
  });

  afterEach(() => {
    server.stopAccepting();
    server.closeAll();
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    expect(await res.text()).toContain('# TYPE ilpd_packets_total counter');
  });

  it('is live while the process serves', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('is ready only when the daemon says so, with the reasons otherwise', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    readiness = { ready: false, reasons: ['ledger (embedded) is not ready'] };
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', reasons: ['ledger (embedded) is not ready'] });
  });

  it('lists peers, routes and balances (peer and liquidity accounts) as JSON, amounts as decimal strings', async () => {
    expect(await (await fetch(`${base}/admin/peers`)).json()).toEqual({
      peers: [
        { id: 'alice', relation: 'child', enabled: true, connected: true, assetCode: 'USD', assetScale: 9 },
      ],
    });
    expect(await (await fetch(`${base}/admin/routes`)).json()).toEqual({
      routes: [{ prefix: 'test.me.alice', nextHop: 'alice', path: [] }],
      routing: { currentEpoch: 3 },
    });
    expect(await (await fetch(`${base}/admin/balances`)).json()).toEqual({
      backend: 'embedded',
      liquidity: [{ assetCode: 'USD', assetScale: 9, balance: '-18446744073709551615' }],
      settlement: [{ assetCode: 'USD', assetScale: 9, balance: '0' }],
      balances: [
        {
          peerId: 'alice',
          assetCode: 'USD',
          assetScale: 9,
          balance: '18446744073709551615',
          pendingIncoming: '0',
          pendingOutgoing: '-3',
        },
      ],
    });
  });

  it('is read-only and answers unknown paths with 404', async () => {
    expect((await fetch(`${base}/admin/peers`, { method: 'POST' })).status).toBe(405);
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { paths: string[] }).paths).toContain('/readyz');
  });
});
