import type { DaemonProcess } from '../helpers/daemon-process';
import { HostilePeer } from './support/hostile';
import {
  addressOf,
  HonestPair,
  metricValue,
  startCastDaemon,
  tokenOf,
  type HonestFigures,
} from './support/scenario';

/**
 * Issue 13's first finding, with real processes: while one child floods a receiver that never answers
 * (or one that stops reading its socket), an honest pair paying at 2,000 packets/s must see no reject
 * and no latency beyond what the machine's load explains. The baseline is measured in the same run;
 * margins are generous because this 2-core machine is shared (the precise figure is `npm run chaos`'s).
 */
const RATE = 2000;
const SECONDS = 4;

describe('noisy neighbours: an honest pair next to a flood into a black hole (e2e)', () => {
  let daemon: DaemonProcess;
  let honest: HonestPair;
  let baseline: HonestFigures;

  beforeAll(async () => {
    // frank may hold far more than his default budget, so that what stops him is the output cap.
    daemon = await startCastDaemon({}, { frank: { budget: { heldPackets: 100_000, heldBytes: 1 << 30 } } });
    honest = await HonestPair.open(daemon);
    await honest.run(RATE, 2); // warm-up: JIT, ledger, sockets
    baseline = await honest.run(RATE, SECONDS);
  }, 60_000);

  afterAll(async () => {
    await honest?.close();
    await daemon?.stop();
    await daemon?.dispose();
  });

  function expectUnharmed(figures: HonestFigures): void {
    expect({ rejected: figures.rejectedByCode, timedOut: figures.timedOut }).toEqual({
      rejected: {},
      timedOut: 0,
    });
    expect(figures.fulfilled).toBe(figures.sent);
    // The median, with a wide margin: this 2-core machine is shared, and its load alone moves the p99
    // by a hundred milliseconds between two runs of the same thing (npm run chaos reports the p99).
    expect(figures.p50Ms).toBeLessThan(3 * baseline.p50Ms + 20);
  }

  it('measures a clean baseline first', () => {
    console.log(JSON.stringify({ baseline }));
    expectUnharmed(baseline);
  });

  it.each([
    ['amount 1', 1],
    ['amount 0 (no balance limit applies)', 0],
  ])(
    'keeps the pair whole while alice floods bob, who never answers (%s)',
    async (_what, amount) => {
      const bob = await HostilePeer.start({
        role: 'black-hole',
        url: daemon.btpUrl,
        username: 'bob',
        token: tokenOf('bob'),
      });
      const alice = await HostilePeer.start({
        role: 'flood',
        url: daemon.btpUrl,
        username: 'alice',
        token: tokenOf('alice'),
        destination: `${addressOf('bob')}.sink`,
        amount,
      });
      try {
        const during = await honest.run(RATE, SECONDS);
        const held = await metricValue(daemon, 'ilpd_peer_packets_in_flight{peer="bob",direction="held"}');
        const flood = await alice.stop();
        console.log(JSON.stringify({ amount, during, held, flood }));
        expectUnharmed(during);
        // bob holds at most his held budget; alice's excess was refused at once (T02), not queued.
        expect(held).toBeLessThanOrEqual(500);
        expect(flood.T02 ?? 0).toBeGreaterThan(0);
      } finally {
        await alice.stop();
        await bob.stop();
      }
    },
    60_000,
  );

  it('keeps the pair whole while alice floods bob with the largest valid Prepares (32,767 bytes of data)', async () => {
    const bob = await HostilePeer.start({
      role: 'black-hole',
      url: daemon.btpUrl,
      username: 'bob',
      token: tokenOf('bob'),
    });
    const alice = await HostilePeer.start({
      role: 'flood',
      url: daemon.btpUrl,
      username: 'alice',
      token: tokenOf('alice'),
      destination: `${addressOf('bob')}.sink`,
      dataBytes: 32_767,
    });
    try {
      const during = await honest.run(RATE, SECONDS);
      const heldBytes = await metricValue(daemon, 'ilpd_peer_bytes_in_flight{peer="bob",direction="held"}');
      const flood = await alice.stop();
      console.log(JSON.stringify({ bigData: during, heldBytes, flood }));
      expectUnharmed(during);
      expect(heldBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    } finally {
      await alice.stop();
      await bob.stop();
    }
  }, 60_000);

  it('keeps the pair whole while erin floods frank, who stops reading his socket', async () => {
    const frank = await HostilePeer.start({
      role: 'slow-reader',
      url: daemon.btpUrl,
      username: 'frank',
      token: tokenOf('frank'),
    });
    const erin = await HostilePeer.start({
      role: 'flood',
      url: daemon.btpUrl,
      username: 'erin',
      token: tokenOf('erin'),
      destination: `${addressOf('frank')}.sink`,
      dataBytes: 16_000,
    });
    try {
      const during = await honest.run(RATE, SECONDS);
      const flood = await erin.stop();
      const reader = await frank.stop();
      console.log(JSON.stringify({ slowReader: during, flood, reader }));
      expectUnharmed(during);
      // frank was cut off (and came back, and was cut off again) instead of growing our buffers.
      expect(reader.closed).toBeGreaterThan(0);
      expect(await metricValue(daemon, 'ilpd_peer_warnings_total{event="slow_reader"}')).toBeGreaterThan(0);
    } finally {
      await erin.stop();
      await frank.stop();
    }
  }, 60_000);
});
