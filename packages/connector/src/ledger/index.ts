import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config/types';
import { EmbeddedLedger } from './embedded/embedded-ledger';
import type { InspectableLedger } from './inspect';
import { TigerBeetleLedger } from './tigerbeetle/tigerbeetle-ledger';
import type { LedgerObserver, SettlementLedger } from './types';

export type { AssetAccountBalance, InspectableLedger, LiquidityBalance, SettlementBalance } from './inspect';
export type {
  ClaimRecord,
  Ledger,
  LedgerObserver,
  LedgerPeerAccount,
  PacketHandle,
  PacketReservation,
  PeerBalance,
  SettlementLedger,
  SettlementOutcome,
} from './types';

/** What the daemon runs: packets, audits and settlement on one ledger. */
export type DaemonLedger = InspectableLedger & SettlementLedger;

export interface LedgerDeps {
  readonly logger: Logger;
  readonly observer?: LedgerObserver;
  /** Directory of the config file: a relative embedded.path resolves against it. */
  readonly configDir: string;
}

/** Absolute path of the embedded store for a config. */
export function embeddedPath(config: LedgerConfig, configDir: string): string {
  return isAbsolute(config.embedded.path) ? config.embedded.path : resolve(configDir, config.embedded.path);
}

/** Absolute path of the TigerBeetle backend's claims store for a config. */
export function claimsPath(config: LedgerConfig, configDir: string): string {
  const path = config.tigerbeetle.claimsPath;
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/** Builds the configured ledger backend (not started). */
export function createLedger(config: LedgerConfig, deps: LedgerDeps): DaemonLedger {
  const common = {
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    maxQueue: config.maxQueue,
    pendingTimeoutMs: config.pendingTimeoutMs,
    observer: deps.observer,
  };
  switch (config.backend) {
    case 'embedded':
      return new EmbeddedLedger({
        ...common,
        path: embeddedPath(config, deps.configDir),
        logger: deps.logger.child({ component: 'ledger', backend: 'embedded' }),
      });
    case 'tigerbeetle':
      return new TigerBeetleLedger({
        ...common,
        clusterId: config.tigerbeetle.clusterId,
        addresses: config.tigerbeetle.addresses,
        requestTimeoutMs: config.tigerbeetle.requestTimeoutMs,
        maxBatchEvents: config.tigerbeetle.maxBatchEvents,
        requestsInFlight: config.tigerbeetle.requestsInFlight,
        recoveryBudgetMs: config.tigerbeetle.recoveryBudgetMs,
        claimsPath: claimsPath(config, deps.configDir),
        logger: deps.logger.child({ component: 'ledger', backend: 'tigerbeetle' }),
      });
  }
}
