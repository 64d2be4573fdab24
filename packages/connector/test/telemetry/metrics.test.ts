import { FrameCounters } from '../../src/telemetry/frame-counters';
import { DaemonMetrics, toUnits } from '../../src/telemetry/metrics';

describe('DaemonMetrics', () => {
  it('collects scrape-time gauges from the live components', async () => {
    const metrics = new DaemonMetrics();
    const frames = new FrameCounters();
    frames.countIn(6);
    frames.countIn(6);
    frames.countOut(1);
    frames.countIn(99);
    metrics.collectFrom({
      packetsInFlight: () => 3,
      engineMaxQueue: () => 2000,
      engineQueueDepth: () => 2,
      engineBatches: () => 17,
      bytesInFlight: () => 612,
      inFlightByPeer: () => [
        {
          peerId: 'alice',
          packets: 3,
          bytes: 612,
          heldPackets: 0,
          heldBytes: 0,
          refusedByPeerBudget: 7,
          refusedByPool: 0,
          refusedByHeldBudget: 0,
        },
        {
          peerId: 'bob',
          packets: 0,
          bytes: 0,
          heldPackets: 3,
          heldBytes: 612,
          refusedByPeerBudget: 0,
          refusedByPool: 0,
          refusedByHeldBudget: 2,
        },
      ],
      unauthenticatedConnections: () => 5,
      peers: () => [
        { peerId: 'alice', connected: true, connections: 2 },
        { peerId: 'bob', connected: false, connections: 0 },
      ],
      peerLimits: () => [
        { peerId: 'alice', assetCode: 'USD', assetScale: 2, minimum: -500n, maximum: 1000n },
        { peerId: 'bob', assetCode: 'USD', assetScale: 2 },
      ],
      ledgerReady: () => true,
      balances: () =>
        Promise.resolve([
          {
            peerId: 'alice',
            assetCode: 'USD',
            assetScale: 2,
            balance: -150n,
            pendingIncoming: 5n,
            pendingOutgoing: 0n,
          },
        ]),
      frames,
    });
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('ilpd_packets_in_flight 3');
    expect(body).toContain('ilpd_engine_queue_depth 2');
    expect(body).toContain('ilpd_engine_max_queue 2000');
    expect(body).toContain('ilpd_engine_batches_total 17');
    expect(body).toContain('ilpd_peer_balance_limit{peer="alice",asset="USD",bound="maximum"} 10');
    expect(body).toContain('ilpd_peer_balance_limit{peer="alice",asset="USD",bound="minimum"} -5');
    expect(body).not.toMatch(/ilpd_peer_balance_limit\{peer="bob"/);
    expect(body).toContain('ilpd_config_last_change_successful 1');
    expect(body).toContain('ilpd_peer_connected{peer="alice"} 1');
    expect(body).toContain('ilpd_peer_connected{peer="bob"} 0');
    expect(body).toContain('ilpd_peer_balance{peer="alice",asset="USD"} -1.5');
    expect(body).toContain('ilpd_peer_balance_pending{peer="alice",asset="USD",direction="incoming"} 0.05');
    expect(body).toContain('ilpd_btp_frames_total{direction="in",type="message"} 2');
    expect(body).toContain('ilpd_btp_frames_total{direction="out",type="response"} 1');
    expect(body).toContain('ilpd_btp_frames_total{direction="in",type="other"} 1');
    expect(body).toContain('ilpd_ledger_ready 1');
    expect(body).toContain('ilpd_bytes_in_flight 612');
    expect(body).toContain('ilpd_peer_packets_in_flight{peer="alice",direction="incoming"} 3');
    expect(body).toContain('ilpd_peer_packets_in_flight{peer="bob",direction="held"} 3');
    expect(body).toContain('ilpd_peer_bytes_in_flight{peer="bob",direction="held"} 612');
    expect(body).toContain('ilpd_peer_budget_refusals_total{peer="alice",budget="peer"} 7');
    expect(body).toContain('ilpd_peer_budget_refusals_total{peer="bob",budget="held"} 2');
    expect(body).toContain('ilpd_btp_unauthenticated_connections 5');
    expect(body).toContain('ilpd_peer_connections{peer="alice"} 2');
    metrics.countPeerWarning('slow_reader');
    const after = (await metrics.render()).body;
    expect(after).toContain('ilpd_peer_warnings_total{event="slow_reader"} 1');
    expect(after).toContain('ilpd_peer_warnings_total{event="reauth"} 0');
    expect(body).toContain('process_cpu_seconds_total');
  });

  it('drops the series of a peer that is no longer configured', async () => {
    const metrics = new DaemonMetrics();
    let peers = [
      { peerId: 'alice', connected: true, connections: 1 },
      { peerId: 'carol', connected: false, connections: 0 },
    ];
    metrics.collectFrom({
      packetsInFlight: () => 0,
      engineMaxQueue: () => 10,
      engineQueueDepth: () => 0,
      engineBatches: () => 0,
      bytesInFlight: () => 0,
      inFlightByPeer: () => [],
      unauthenticatedConnections: () => 0,
      peers: () => peers,
      peerLimits: () => [],
      ledgerReady: () => false,
      balances: () => Promise.resolve([]),
      frames: new FrameCounters(),
    });
    expect((await metrics.render()).body).toContain('ilpd_peer_connected{peer="carol"} 0');
    peers = [{ peerId: 'alice', connected: true, connections: 1 }];
    const { body } = await metrics.render();
    expect(body).toContain('ilpd_peer_connected{peer="alice"} 1');
    expect(body).not.toContain('peer="carol"');
  });

  it('queries the ledger once per scrape for both balance gauges', async () => {
    const metrics = new DaemonMetrics();
    let queries = 0;
    metrics.collectFrom({
      packetsInFlight: () => 0,
      engineMaxQueue: () => 10,
      engineQueueDepth: () => 0,
      engineBatches: () => 0,
      bytesInFlight: () => 0,
      inFlightByPeer: () => [],
      unauthenticatedConnections: () => 0,
      peers: () => [],
      peerLimits: () => [],
      ledgerReady: () => true,
      balances: () => {
        queries++;
        return Promise.resolve([
          {
            peerId: 'bob',
            assetCode: 'XRP',
            assetScale: 6,
            balance: 1n,
            pendingIncoming: 0n,
            pendingOutgoing: 2n,
          },
        ]);
      },
      frames: new FrameCounters(),
    });
    const { body } = await metrics.render();
    expect(queries).toBe(1);
    expect(body).toContain('ilpd_peer_balance{peer="bob",asset="XRP"} 0.000001');
    expect(body).toContain('ilpd_peer_balance_pending{peer="bob",asset="XRP",direction="outgoing"} 0.000002');
  });

  it('leaves balance gauges empty while the ledger is not ready', async () => {
    const metrics = new DaemonMetrics();
    metrics.collectFrom({
      packetsInFlight: () => 0,
      engineMaxQueue: () => 10,
      engineQueueDepth: () => 0,
      engineBatches: () => 0,
      bytesInFlight: () => 0,
      inFlightByPeer: () => [],
      unauthenticatedConnections: () => 0,
      peers: () => [],
      peerLimits: () => [],
      ledgerReady: () => false,
      balances: () => Promise.reject(new Error('must not be called')),
      frames: new FrameCounters(),
    });
    const { body } = await metrics.render();
    expect(body).not.toMatch(/^ilpd_peer_balance\{/m);
    expect(body).toContain('ilpd_ledger_ready 0');
  });

  it('keeps series of two daemons in one process apart', async () => {
    const a = new DaemonMetrics();
    const b = new DaemonMetrics();
    a.packets.inc({ type: 'local', result: 'rejected', code: 'F02' });
    expect((await b.render()).body).not.toContain('code="F02"');
  });

  it('converts balances to whole units', () => {
    expect(toUnits(123456789n, 9)).toBeCloseTo(0.123456789);
    expect(toUnits(-5n, 0)).toBe(-5);
  });
});
