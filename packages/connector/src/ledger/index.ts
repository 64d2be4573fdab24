import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config/types';
import { EmbeddedLedger } from './embedded/embedded-ledger';
import type { InspectableLedger } from './inspect';
import { TigerBeetleLedger } from './tigerbeetle/tigerbeetle-ledger';
import type { LedgerObserver } from './types';

export type { InspectableLedger, LiquidityBalance } from './inspect';
export type {
  Ledger,
  LedgerObserver,
  LedgerPeerAccount,
  PacketHandle,
  PacketReservation,
  PeerBalance,
} from './types';

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

/** Builds the configured ledger backend (not started). */
export function createLedger(config: LedgerConfig, deps: LedgerDeps): InspectableLedger {
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
        logger: deps.logger.child({ component: 'ledger', backend: 'tigerbeetle' }),
      });
  }
}
