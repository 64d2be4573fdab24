import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/types';
import { DaemonError } from '../errors';
import type { SettlementLedger } from '../ledger/types';
import type { BtpRequester } from '../ports';
import type { ChainName, ChannelEngine } from './channel-engine';
import { EvmChannelEngine } from './evm/evm-channel-engine';
import { SettlementService } from './settlement-service';
import type { SettlementObserver } from './settlement-observer';
import { settlingPeerOf, type SettlingPeer } from './settling-peer';
import type { EndpointState } from './endpoint-pool';
import { XrplChannelEngine } from './xrpl/xrpl-channel-engine';

export interface SettlementDeps {
  readonly ledger: SettlementLedger;
  readonly btp: BtpRequester;
  readonly isConnected: (peerId: string) => boolean;
  readonly observer: SettlementObserver;
  readonly logger: Logger;
  readonly onEndpointStateChange?: (chain: ChainName, endpoint: string, state: EndpointState) => void;
}

/**
 * The settlement subsystem for a config: one engine per configured chain, the settling peers, the
 * service. Undefined when no peer settles (nothing runs, nothing connects to a chain).
 */
export function createSettlement(config: DaemonConfig, deps: SettlementDeps): SettlementService | undefined {
  if (!config.peers.some((p) => p.settlement !== undefined)) return undefined;
  const engines = createEngines(config, deps);
  const peers: SettlingPeer[] = [];
  for (const peer of config.peers) {
    if (peer.settlement === undefined) continue;
    const engine = engines.get(peer.settlement.engine);
    if (engine === undefined) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        `peers: ${peer.id} settles over ${peer.settlement.engine}, which is not configured`,
      );
    }
    peers.push(settlingPeerOf(peer, engine) as SettlingPeer);
  }
  return new SettlementService({
    peers,
    engines,
    ledger: deps.ledger,
    btp: deps.btp,
    isConnected: deps.isConnected,
    claimTimeoutMs: config.settlement.claimTimeoutMs,
    watchIntervalMs: config.settlement.watchIntervalMs,
    observer: deps.observer,
    logger: deps.logger,
  });
}

function createEngines(config: DaemonConfig, deps: SettlementDeps): Map<ChainName, ChannelEngine> {
  const engines = new Map<ChainName, ChannelEngine>();
  const used = new Set(
    config.peers.flatMap((p) => (p.settlement === undefined ? [] : [p.settlement.engine])),
  );
  const { evm, xrpl } = config.settlement;
  if (used.has('evm') && evm !== undefined) {
    engines.set(
      'evm',
      new EvmChannelEngine({
        rpcUrls: evm.rpcUrls,
        poolSize: evm.poolSize,
        chainId: evm.chainId,
        contractAddress: evm.contractAddress,
        privateKey: hexKey(
          secretOf(evm.privateKey, evm.privateKeyFile, 'settlement.evm.privateKeyFile', config.configDir),
        ),
        confirmations: evm.confirmations,
        healthIntervalMs: evm.healthIntervalMs,
        breakerFailures: evm.breakerFailures,
        halfOpenAfterMs: evm.halfOpenAfterMs,
        logger: deps.logger.child({ chain: 'evm' }),
        onEndpointStateChange: (endpoint, state) => deps.onEndpointStateChange?.('evm', endpoint, state),
      }),
    );
  }
  if (used.has('xrpl') && xrpl !== undefined) {
    engines.set(
      'xrpl',
      new XrplChannelEngine({
        servers: xrpl.servers,
        poolSize: xrpl.poolSize,
        secret: secretOf(xrpl.secret, xrpl.secretFile, 'settlement.xrpl.secretFile', config.configDir),
        settleDelaySeconds: xrpl.settleDelaySeconds,
        minIncomingSettleDelaySeconds: xrpl.minSettleDelaySeconds,
        ledgerOffset: xrpl.ledgerOffset,
        healthIntervalMs: xrpl.healthIntervalMs,
        breakerFailures: xrpl.breakerFailures,
        halfOpenAfterMs: xrpl.halfOpenAfterMs,
        logger: deps.logger.child({ chain: 'xrpl' }),
        onEndpointStateChange: (endpoint, state) => deps.onEndpointStateChange?.('xrpl', endpoint, state),
      }),
    );
  }
  return engines;
}

/** A key given inline (from the environment) or in a file (first line, trimmed). */
function secretOf(
  inline: string | undefined,
  file: string | undefined,
  key: string,
  configDir: string,
): string {
  if (inline !== undefined) return inline;
  if (file === undefined) throw new DaemonError('ILPD_ERR_CONFIG', `${key}: no key configured`);
  const path = isAbsolute(file) ? file : resolve(configDir, file);
  try {
    const secret = readFileSync(path, 'utf8').split('\n')[0].trim();
    if (secret === '') throw new Error('the file is empty');
    return secret;
  } catch (err) {
    throw new DaemonError('ILPD_ERR_CONFIG', `${key}: cannot read ${path}: ${(err as Error).message}`);
  }
}

function hexKey(key: string): string {
  return key.startsWith('0x') ? key : `0x${key}`;
}
