import pino from 'pino';
import { ECDSA, Wallet } from 'xrpl';
import {
  XrplChannelEngine,
  type XrplChannelEngineOptions,
} from '../../../src/settlement/xrpl/xrpl-channel-engine';
import { XrplLedgerStandIn, type XrplLedgerStandInOptions } from '../../../../../test/helpers/xrpl-standin';

/** Engine settings scaled to the stand-in's fast ledgers (100 ms closes). */
export function engineOptions(
  standIn: XrplLedgerStandIn,
  wallet: Wallet,
  overrides: Partial<XrplChannelEngineOptions> = {},
): XrplChannelEngineOptions {
  return {
    servers: [standIn.url],
    poolSize: 2,
    secret: wallet.seed as string,
    settleDelaySeconds: 3600,
    minIncomingSettleDelaySeconds: 600,
    ledgerOffset: 10,
    healthIntervalMs: 200,
    breakerFailures: 2,
    halfOpenAfterMs: 300,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    pollIntervalMs: 50,
    resubmitIntervalMs: 200,
    prepareTimeoutMs: 5000,
    logger: pino({ level: process.env.ILPD_TEST_LOG ?? 'silent' }),
    ...overrides,
  };
}

export const STANDIN_OPTIONS: XrplLedgerStandInOptions = { closeIntervalMs: 100 };

/** A funded account with an engine of its own, started. */
export async function fundedEngine(
  standIn: XrplLedgerStandIn,
  drops: bigint,
  options: { algorithm?: ECDSA; overrides?: Partial<XrplChannelEngineOptions> } = {},
): Promise<{ wallet: Wallet; engine: XrplChannelEngine }> {
  const wallet = Wallet.generate(options.algorithm ?? ECDSA.ed25519);
  await standIn.fund(wallet.address, drops);
  const engine = new XrplChannelEngine(engineOptions(standIn, wallet, options.overrides));
  await engine.start();
  return { wallet, engine };
}

export const XRP = 1_000_000n;
