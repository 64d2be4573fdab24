/**
 * `npm run chaos`: every hostile peer of the isolation suites against one ilpd at once, for a few
 * minutes, next to an honest pair paying at 2,000 packets/s; prints one JSON line of figures.
 *
 *   phase 1  baseline: the honest pair alone;
 *   phase 2  flood:    alice floods bob (who never answers) at full speed — issue 13's goal figure;
 *   phase 3  chaos:    that, plus erin flooding frank (who barely reads), mallory's oversized data in
 *                      1 MB frames, 300 unauthenticated sockets reopening from 20 addresses, and grace
 *                      authenticating every 250 ms.
 *
 * CHAOS_SECONDS (default 60) is the length of phases 1 and 2 each, and twice that of phase 3;
 * CHAOS_RATE (default 2000) the honest rate. Needs a build (the script runs it first).
 */
import { loadConfig } from '../../packages/connector/src/config/load';
import { worstCaseMemory } from '../../packages/connector/src/config/memory-bound';
import { connectBtpPeer } from '../helpers/btp-peer';
import type { DaemonProcess } from '../helpers/daemon-process';
import { HostilePeer } from '../isolation/support/hostile';
import {
  addressOf,
  HonestPair,
  memoryOf,
  metricValue,
  startCastDaemon,
  tokenOf,
  type HonestFigures,
} from '../isolation/support/scenario';

// The load suite's receiver thread runs from TypeScript sources here, as under jest.
process.env.ILPD_TS_HOOK ??= require.resolve('../helpers/register-ts.cjs');

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 60);
const RATE = Number(process.env.CHAOS_RATE ?? 2000);
const MiB = 2 ** 20;

function summary(f: HonestFigures) {
  return {
    sent: f.sent,
    fulfilled: f.fulfilled,
    rejects: f.rejected,
    timedOut: f.timedOut,
    byCode: f.rejectedByCode,
    p50Ms: f.p50Ms,
    p99Ms: f.p99Ms,
    maxMs: f.maxMs,
  };
}

/** grace connects and authenticates every `everyMs` until stopped; counts who got in. */
function lockoutProbe(daemon: DaemonProcess, everyMs: number) {
  let tries = 0;
  let ok = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      tries++;
      try {
        const grace = await connectBtpPeer(
          daemon.btpUrl,
          { username: 'grace', token: tokenOf('grace') },
          { requestTimeoutMs: 5000 },
        );
        ok++;
        await grace.close();
      } catch {
        // A failed attempt.
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { tries, ok };
    },
  };
}

async function main(): Promise<void> {
  const daemon = await startCastDaemon({ log: { level: 'warn' } });
  const pid = daemon.child.pid as number;
  const bound = worstCaseMemory(loadConfig(daemon.configPath, {}));
  const url = daemon.btpUrl;
  const peer = (id: 'alice' | 'bob' | 'erin' | 'frank' | 'mallory') => ({
    url,
    username: id,
    token: tokenOf(id),
  });
  const hostile: HostilePeer[] = [];
  let honest: HonestPair | undefined;
  try {
    honest = await HonestPair.open(daemon);
    await honest.run(RATE, 5);
    const idle = memoryOf(pid).rss;
    const baseline = await honest.run(RATE, SECONDS);

    hostile.push(await HostilePeer.start({ role: 'black-hole', ...peer('bob') }));
    hostile.push(
      await HostilePeer.start({ role: 'flood', ...peer('alice'), destination: `${addressOf('bob')}.sink` }),
    );
    const flood = await honest.run(RATE, SECONDS);

    hostile.push(
      await HostilePeer.start({ role: 'slow-reader', ...peer('frank') }),
      await HostilePeer.start({
        role: 'flood',
        ...peer('erin'),
        destination: `${addressOf('frank')}.sink`,
        dataBytes: 16_000,
      }),
      await HostilePeer.start({
        role: 'flood',
        ...peer('mallory'),
        destination: `${addressOf('dave')}.x`,
        dataBytes: 40_000,
        junkBytes: 1_000_000,
        window: 64,
      }),
      await HostilePeer.start({
        role: 'preauth-hog',
        host: '127.0.0.1',
        port: daemon.btpPort,
        count: 300,
        sources: Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`),
        partialBytes: 60_000,
      }),
    );
    const probe = lockoutProbe(daemon, 250);
    const chaos = await honest.run(RATE, 2 * SECONDS);
    const lockout = await probe.stop();
    const stats: Record<string, Record<string, number>> = {};
    for (const h of hostile.splice(0).reverse()) {
      const name = 'username' in h.role ? `${h.role.role}:${h.role.username}` : h.role.role;
      stats[name] = await h.stop();
    }
    const { peak } = memoryOf(pid);
    const warningLines = daemon.logs().filter((l) => typeof l.event === 'string').length;
    let warningsCounted = 0;
    for (const event of [
      'unauthenticated_evicted',
      'auth_timeout',
      'auth_failed',
      'preauth_bytes_exceeded',
      'slow_reader',
      'pong_missed',
      'reauth',
    ]) {
      warningsCounted += await metricValue(daemon, `ilpd_peer_warnings_total{event="${event}"}`);
    }
    console.log(
      JSON.stringify({
        chaos: 'ilpd isolation',
        seconds: { baseline: SECONDS, flood: SECONDS, chaos: 2 * SECONDS },
        rate: RATE,
        baseline: summary(baseline),
        flood: { ...summary(flood), p99DeltaMs: Math.round((flood.p99Ms - baseline.p99Ms) * 1000) / 1000 },
        chaos: { ...summary(chaos), p99DeltaMs: Math.round((chaos.p99Ms - baseline.p99Ms) * 1000) / 1000 },
        memory: {
          idleMB: Math.round(idle / MiB),
          peakMB: Math.round(peak / MiB),
          boundMB: Math.round(bound.totalBytes / MiB),
        },
        lockout,
        warnings: { logLines: warningLines, counted: warningsCounted },
        daemonAlive: daemon.isRunning,
        hostile: stats,
      }),
    );
  } finally {
    await Promise.all(hostile.map((h) => h.stop()));
    await honest?.close();
    await daemon.stop();
    await daemon.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
