import { authFrame, connectBtpPeer } from '../helpers/btp-peer';
import type { DaemonProcess } from '../helpers/daemon-process';
import { HostilePeer } from './support/hostile';
import { metricValue, startCastDaemon, tokenOf } from './support/scenario';

/**
 * Issue 13's third and fourth findings. One client holding 300 unauthenticated sockets (and reopening
 * each one the moment it is closed) used to leave alice 1 successful auth in 30 and write a warning per
 * dropped socket. Now the oldest unauthenticated connection gives way to a newcomer, per source address
 * and overall, so alice gets in every time, and the warnings are one line per interval with a count.
 */
async function attempts(daemon: DaemonProcess, tries: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < tries; i++) {
    try {
      const alice = await connectBtpPeer(
        daemon.btpUrl,
        { username: 'alice', token: tokenOf('alice') },
        { requestTimeoutMs: 5000 },
      );
      ok++;
      await alice.close();
    } catch {
      // Counted as a failed attempt.
    }
    // Spread over 3 s, so the attempts also meet the hog reopening what the auth deadline closed.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ok;
}

describe('pre-auth limits (e2e)', () => {
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = await startCastDaemon({
      btp: { authTimeoutMs: 2000 },
      log: { level: 'info', warningIntervalMs: 1000 },
    });
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    await daemon?.dispose();
  });

  it('lets alice authenticate 30 times in 30 while 300 idle sockets from 20 other addresses keep reopening', async () => {
    const hog = await HostilePeer.start({
      role: 'preauth-hog',
      host: '127.0.0.1',
      port: daemon.btpPort,
      count: 300,
      sources: Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`),
    });
    const startedAt = Date.now();
    let ok: number;
    let held: number;
    try {
      held = await metricValue(daemon, 'ilpd_btp_unauthenticated_connections');
      ok = await attempts(daemon, 30);
    } finally {
      const stats = await hog.stop();
      console.log(JSON.stringify({ ok, held: held!, hog: stats }));
    }
    const seconds = (Date.now() - startedAt) / 1000;
    expect(ok).toBe(30);
    expect(held).toBeLessThanOrEqual(256);
    // Every eviction counted, logged at most once per second (plus the summary of the last one).
    const evictions = await metricValue(daemon, 'ilpd_peer_warnings_total{event="unauthenticated_evicted"}');
    const lines = daemon.logs().filter((l) => l.event === 'unauthenticated_evicted').length;
    expect(evictions).toBeGreaterThan(lines);
    expect(lines).toBeLessThanOrEqual(2 * Math.ceil(seconds) + 2);
  }, 60_000);

  it('measures alice against 300 sockets from her own address (same host: only the eviction order helps)', async () => {
    const hog = await HostilePeer.start({
      role: 'preauth-hog',
      host: '127.0.0.1',
      port: daemon.btpPort,
      count: 300,
      sources: ['127.0.0.1'],
    });
    let ok = 0;
    try {
      ok = await attempts(daemon, 30);
    } finally {
      console.log(JSON.stringify({ sameSource: { ok, hog: await hog.stop() } }));
    }
    // The oldest of her address goes first and her auth follows her connect within a round trip, so she
    // gets in unless the hog reopens 16 sockets inside that round trip. How often it does depends on the
    // machine's load: on a 2-core box, 15–20 of 30 alone and 17 beside the whole suite (the hog at
    // ~15,000 connections/s); refusing newcomers at the cap let her in about once. This guards against
    // lockout; which connection goes first is held exactly by btp-server.test.ts.
    expect(ok).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('answers a second auth on an authenticated session with a BTP error and closes it', async () => {
    const carol = await connectBtpPeer(daemon.btpUrl, { username: 'carol', token: tokenOf('carol') });
    await expect(carol.request(authFrame(77, 'dave', 'not-dave’s-token'))).rejects.toMatchObject({
      code: 'F00',
      detail: expect.stringContaining('already authenticated'),
    });
    expect((await carol.closed).code).toBe(1008);
  });
});
