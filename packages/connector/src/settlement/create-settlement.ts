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
import type { SignatureVerifier } from './signature-pool';
import { XrplChannelEngine } from './xrpl/xrpl-channel-engine';

export interface SettlementDeps {
  readonly ledger: SettlementLedger;
  readonly btp: BtpRequester;
  readonly isConnected: (peerId: string) => boolean;
  readonly observer: SettlementObserver;
  readonly logger: Logger;
  /** Where claim signatures are checked (settlement.workers). */
  readonly verifier: SignatureVerifier;
  readonly onEndpointStateChange?: (chain: ChainName, endpoint: string, state: EndpointState) => void;
}

/** Whether the config sets up settlement at all (a chain section, or a settling peer). */
export function settlementConfigured(config: DaemonConfig): boolean {
  const { evm, xrpl } = config.settlement;
  return evm !== undefined || xrpl !== undefined || config.peers.some((p) => p.settlement !== undefined);
}

/**
 * The settlement subsystem for a config: one engine per configured chain (settlement.evm,
 * settlement.xrpl: peers added at runtime can settle over them too), the settling peers, the service.
 * Undefined when the config sets up no settlement (nothing runs, nothing connects to a chain).
 */
export function createSettlement(config: DaemonConfig, deps: SettlementDeps): SettlementService | undefined {
  if (!settlementConfigured(config)) return undefined;
  const engines = createEngines(config, deps);
  return new SettlementService({
    peers: settlingPeersOf(config.peers, engines),
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

/** The enabled peers that settle, over the engines there are (the config check requires each peer's). */
export function settlingPeersOf(
  peers: DaemonConfig['peers'],
  engines: ReadonlyMap<ChainName, ChannelEngine>,
): SettlingPeer[] {
  const settling: SettlingPeer[] = [];
  for (const peer of peers) {
    if (peer.settlement === undefined || !peer.enabled) continue;
    const engine = engines.get(peer.settlement.engine);
    if (engine === undefined) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        `peers: ${peer.id} settles over ${peer.settlement.engine}, but settlement.${peer.settlement.engine} is not configured`,
      );
    }
    settling.push(settlingPeerOf(peer, engine) as SettlingPeer);
  }
  return settling;
}

function createEngines(config: DaemonConfig, deps: SettlementDeps): Map<ChainName, ChannelEngine> {
  const engines = new Map<ChainName, ChannelEngine>();
  const { evm, xrpl } = config.settlement;
  if (evm !== undefined && evm.contractAddress !== undefined) {
    engines.set(
      'evm',
      new EvmChannelEngine({
        rpcUrls: evm.rpcUrls,
        poolSize: evm.poolSize,
        chainId: evm.chainId,
        contractAddress: evm.contractAddress,
        privateKey: readSecret(
          evm.privateKey,
          evm.privateKeyFile,
          'settlement.evm.privateKeyFile',
          config.configDir,
          true,
        ),
        confirmations: evm.confirmations,
        healthIntervalMs: evm.healthIntervalMs,
        breakerFailures: evm.breakerFailures,
        halfOpenAfterMs: evm.halfOpenAfterMs,
        logger: deps.logger.child({ chain: 'evm' }),
        onEndpointStateChange: (endpoint, state) => deps.onEndpointStateChange?.('evm', endpoint, state),
        verifier: deps.verifier,
      }),
    );
  }
  if (xrpl !== undefined) {
    engines.set(
      'xrpl',
      new XrplChannelEngine({
        servers: xrpl.servers,
        poolSize: xrpl.poolSize,
        secret: readSecret(
          xrpl.secret,
          xrpl.secretFile,
          'settlement.xrpl.secretFile',
          config.configDir,
          false,
        ),
        settleDelaySeconds: xrpl.settleDelaySeconds,
        minIncomingSettleDelaySeconds: xrpl.minSettleDelaySeconds,
        ledgerOffset: xrpl.ledgerOffset,
        healthIntervalMs: xrpl.healthIntervalMs,
        breakerFailures: xrpl.breakerFailures,
        halfOpenAfterMs: xrpl.halfOpenAfterMs,
        logger: deps.logger.child({ chain: 'xrpl' }),
        onEndpointStateChange: (endpoint, state) => deps.onEndpointStateChange?.('xrpl', endpoint, state),
        verifier: deps.verifier,
      }),
    );
  }
  return engines;
}

/**
 * A key given inline (from the environment) or in a file (its first line, trimmed); `hex`: an EVM key,
 * returned 0x-prefixed.
 */
export function readSecret(
  inline: string | undefined,
  file: string | undefined,
  key: string,
  configDir: string,
  hex: boolean,
): string {
  if (inline !== undefined) return hex ? hexKey(inline) : inline;
  if (file === undefined) throw new DaemonError('ILPD_ERR_CONFIG', `${key}: no key configured`);
  const path = isAbsolute(file) ? file : resolve(configDir, file);
  try {
    const secret = readFileSync(path, 'utf8').split('\n')[0].trim();
    if (secret === '') throw new Error('the file is empty');
    return hex ? hexKey(secret) : secret;
  } catch (err) {
    throw new DaemonError('ILPD_ERR_CONFIG', `${key}: cannot read ${path}: ${(err as Error).message}`);
  }
}

function hexKey(key: string): string {
  return key.startsWith('0x') ? key : `0x${key}`;
}
