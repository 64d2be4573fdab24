import { MEMORY_CONSTANTS, worstCaseMemory } from '../../src/config/memory-bound';
import { makeConfig, makePeer } from '../packet/factories';

describe('worstCaseMemory', () => {
  it('adds up the terms of the formula from the config', () => {
    const config = makeConfig({
      engine: { workers: 0, batchSize: 100, maxQueue: 2000, maxInFlightBytes: 64 << 20 },
      peers: [
        makePeer('alice'),
        makePeer('up', {
          relation: 'parent',
          receiveRoutes: true,
          btp: { role: 'client', url: 'btp+ws://u:t@h:1', reconnectInitialMs: 1, reconnectMaxMs: 2 },
        }),
      ],
    });
    const c = MEMORY_CONSTANTS;
    const { terms, totalBytes } = worstCaseMemory(config);
    expect(terms).toEqual({
      base: c.baseBytes,
      gc: c.gcBytes,
      // Σ peer budgets (2 × 1000) is the pool's 2000 packets; Σ bytes (2 × 32 MiB) the pool's 64 MiB.
      packets: 2000 * c.perPacketBytes,
      packetBytes: (64 << 20) * c.packetByteCopies,
      // alice may hold 4 connections, the client-role parent 1.
      connections: 5 * ((1 << 20) + (1 << 20) + c.perConnectionBytes),
      unauthenticated: 256 * c.perUnauthenticatedBytes,
      routes: 1 * 1000 * c.perRouteBytes,
      ledgerQueue: 10_000 * c.perLedgerTransferBytes,
    });
    expect(totalBytes).toBe(Object.values(terms).reduce((a, b) => a + b, 0));
  });

  it('takes the pool, not the sum of budgets, when the pool is smaller', () => {
    const config = makeConfig({
      engine: { workers: 0, batchSize: 100, maxQueue: 10, maxInFlightBytes: 1 << 20 },
    });
    expect(worstCaseMemory(config).terms).toMatchObject({
      packets: 10 * MEMORY_CONSTANTS.perPacketBytes,
      packetBytes: (1 << 20) * MEMORY_CONSTANTS.packetByteCopies,
    });
  });
});
