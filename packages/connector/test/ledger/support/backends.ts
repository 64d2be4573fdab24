import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { LedgerConfig } from '../../../src/config/types';
import { createLedger, type DaemonLedger } from '../../../src/ledger';
import { TigerBeetleLedger } from '../../../src/ledger/tigerbeetle/tigerbeetle-ledger';
import { SimulatedTigerBeetle } from './simulated-tigerbeetle';

/**
 * The backends the conformance suite runs against. Each test gets a fresh "store": a temp directory for
 * the embedded backend; for TigerBeetle, a fresh namespace of peer ids (a real cluster keeps its data
 * between runs), so the same tests run unchanged against a real cluster.
 */
export interface BackendHarness {
  readonly name: LedgerConfig['backend'];
  /** How the suite names this run. */
  readonly label: string;
  /** Whether TigerBeetle's pending timeout (whole seconds, best-effort removal) applies. */
  readonly timeoutGranularityMs: number;
  newStore(): LedgerStoreRef;
}

export interface LedgerStoreRef {
  /** Peer ids unique to this store (prefix them to avoid clashes on a shared cluster). */
  peer(name: string): string;
  /** Asset codes unique to this store (a real cluster keeps liquidity accounts per asset). */
  asset(code: string): string;
  open(overrides?: Partial<Omit<LedgerConfig, 'backend' | 'embedded' | 'tigerbeetle'>>): DaemonLedger;
  cleanup(): void;
}

const silent = pino({ level: 'silent' });

/** Config of a backend a test does not use (the schema fills these in for a real config). */
const unusedTigerBeetle = {
  clusterId: 0n,
  addresses: ['3000'],
  requestTimeoutMs: 1000,
  maxBatchEvents: 0,
  requestsInFlight: 4,
  recoveryBudgetMs: 10_000,
  claimsPath: 'unused-claims.sqlite',
};

const baseConfig = {
  batchSize: 100,
  flushIntervalMs: 2,
  maxQueue: 10_000,
  pendingTimeoutMs: 60_000,
};

export const embeddedBackend: BackendHarness = {
  name: 'embedded',
  label: 'embedded (SQLite)',
  timeoutGranularityMs: 1,
  newStore() {
    const dir = mkdtempSync(join(tmpdir(), 'ilpd-ledger-'));
    return {
      peer: (name) => name,
      asset: (code) => code,
      open: (overrides = {}) =>
        createLedger(
          {
            backend: 'embedded',
            ...baseConfig,
            ...overrides,
            embedded: { path: 'ledger.sqlite' },
            tigerbeetle: { ...unusedTigerBeetle },
          },
          { logger: silent, configDir: dir },
        ),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

/** Enabled by ILPD_TIGERBEETLE_ADDRESSES (comma-separated) and ILPD_TIGERBEETLE_CLUSTER_ID (default 0). */
export function tigerbeetleBackend(env: NodeJS.ProcessEnv = process.env): BackendHarness | undefined {
  const addresses = env.ILPD_TIGERBEETLE_ADDRESSES?.split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  if (addresses === undefined || addresses.length === 0) return undefined;
  const clusterId = BigInt(env.ILPD_TIGERBEETLE_CLUSTER_ID ?? '0');
  return {
    name: 'tigerbeetle',
    label: `tigerbeetle (cluster ${clusterId} at ${addresses.join(',')})`,
    timeoutGranularityMs: 1000,
    newStore() {
      const namespace = randomBytes(4).toString('hex');
      // The claims store is local to the process, like a daemon's: one per store, beside no other.
      const dir = mkdtempSync(join(tmpdir(), 'ilpd-tb-claims-'));
      return {
        peer: (name) => `${name}-${namespace}`,
        // Asset codes are free-form strings to the ledger; a unique one gives each test its own ledger.
        asset: (code) => `${code}${namespace}`,
        open: (overrides = {}) =>
          createLedger(
            {
              backend: 'tigerbeetle',
              ...baseConfig,
              ...overrides,
              embedded: { path: 'unused.sqlite' },
              tigerbeetle: {
                clusterId,
                addresses,
                requestTimeoutMs: 5000,
                maxBatchEvents: 0,
                requestsInFlight: 4,
                recoveryBudgetMs: 10_000,
                claimsPath: 'claims.sqlite',
              },
            },
            { logger: silent, configDir: dir },
          ),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
}

/**
 * The tigerbeetle backend against SimulatedTigerBeetle, a stand-in for a `--development` cluster (32 KiB
 * requests): runs everywhere, exercising the backend's own logic; it does not replace the run against
 * a real cluster.
 */
export const simulatedTigerbeetleBackend: BackendHarness = {
  name: 'tigerbeetle',
  label: 'tigerbeetle backend on a simulated --development cluster',
  timeoutGranularityMs: 1000,
  newStore() {
    const cluster = new SimulatedTigerBeetle();
    const dir = mkdtempSync(join(tmpdir(), 'ilpd-tb-claims-'));
    return {
      peer: (name) => name,
      asset: (code) => code,
      open: (overrides = {}) =>
        new TigerBeetleLedger({
          ...baseConfig,
          ...overrides,
          clusterId: 0n,
          addresses: ['simulated'],
          requestTimeoutMs: 5000,
          requestsInFlight: 4,
          logger: silent,
          claimsPath: join(dir, 'claims.sqlite'),
          createClient: () => cluster.client(),
        }),
      cleanup: () => {
        cluster.close();
        rmSync(dir, { recursive: true, force: true });
        if (cluster.clientsCreated !== cluster.clientsDestroyed) {
          throw new Error(
            `${cluster.clientsCreated - cluster.clientsDestroyed} simulated clients never destroyed`,
          );
        }
      },
    };
  },
};
