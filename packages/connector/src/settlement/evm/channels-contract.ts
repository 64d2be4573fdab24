import { AbiCoder, Interface, getAddress, type InterfaceAbi } from 'ethers';
import type { Logger } from 'pino';
import { DaemonError } from '../../errors';
import { CHANNELS_CONTRACT } from './contract-artifact';
import { EvmRpc } from './evm-rpc';
import { TransactionSender, type SignedTransaction } from './transaction-sender';

/** The payment-channel contract (contracts/UnidirectionalEthChannels.sol) as the connector uses it. */
export const CHANNELS_INTERFACE = new Interface(CHANNELS_CONTRACT.abi as InterfaceAbi);

/** The contract's `Status` enum. */
export enum ContractChannelStatus {
  None = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

/** The contract's accepted challenge periods (seconds): receivers need time to react to a close. */
export const MIN_CHALLENGE_PERIOD_SECONDS = 3600;
export const MAX_CHALLENGE_PERIOD_SECONDS = 30 * 24 * 3600;

/** Names a revert from its data: `WrongSigner(0xab…, 0xcd…)`, `Error("…")`, `Panic(17)`. */
export function describeChannelsRevert(data: string): string | undefined {
  try {
    const parsed = CHANNELS_INTERFACE.parseError(data);
    if (parsed === null) return undefined;
    const args = parsed.args.map((arg: unknown) => (typeof arg === 'string' ? arg : String(arg)));
    return `${parsed.name}(${args.join(', ')})`;
  } catch {
    return undefined;
  }
}

export interface DeployChannelsContractOptions {
  readonly rpcUrls: readonly string[];
  readonly chainId: bigint | number;
  /** The deployer's key (0x-prefixed hex); it pays the deployment. */
  readonly privateKey: string;
  readonly challengePeriodSeconds: number;
  readonly confirmations?: number;
  readonly requestTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly confirmTimeoutMs?: number;
  readonly logger: Logger;
  readonly onSigned?: (tx: SignedTransaction) => Promise<void> | void;
}

export interface DeployedChannelsContract {
  readonly address: string;
  readonly hash: string;
  /** Wei the deployer paid. */
  readonly fee: bigint;
  readonly blockNumber: number;
}

/** Deploys the channel contract with the given challenge period; resolves once confirmed. */
export async function deployChannelsContract(
  options: DeployChannelsContractOptions,
): Promise<DeployedChannelsContract> {
  const period = options.challengePeriodSeconds;
  if (
    !Number.isInteger(period) ||
    period < MIN_CHALLENGE_PERIOD_SECONDS ||
    period > MAX_CHALLENGE_PERIOD_SECONDS
  ) {
    throw new DaemonError(
      'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
      `challengePeriodSeconds: expected an integer from ${MIN_CHALLENGE_PERIOD_SECONDS} to ${MAX_CHALLENGE_PERIOD_SECONDS}, got ${period}`,
    );
  }
  const chainId = BigInt(options.chainId);
  const rpc = new EvmRpc({
    urls: options.rpcUrls,
    poolSize: options.rpcUrls.length,
    chainId,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    healthIntervalMs: 60_000,
    breakerFailures: 3,
    halfOpenAfterMs: 2_000,
    logger: options.logger,
  });
  const sender = new TransactionSender({
    rpc,
    privateKey: options.privateKey,
    chainId,
    confirmations: options.confirmations ?? 1,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    rebroadcastIntervalMs: 15_000,
    confirmTimeoutMs: options.confirmTimeoutMs ?? 300_000,
    gasMarginPercent: 20,
    logger: options.logger,
    describeRevert: describeChannelsRevert,
    onSigned: options.onSigned,
  });
  await rpc.start();
  try {
    await sender.start();
    const constructorArgs = AbiCoder.defaultAbiCoder().encode(['uint64'], [period]).slice(2);
    const confirmed = await sender.send({
      data: `${CHANNELS_CONTRACT.bytecode}${constructorArgs}`,
      label: 'deploy UnidirectionalEthChannels',
    });
    const address = confirmed.receipt.contractAddress;
    if (address === null) {
      throw new DaemonError('ILPD_ERR_INTERNAL', `deployment ${confirmed.hash} has no contract address`);
    }
    return {
      address: getAddress(address),
      hash: confirmed.hash,
      fee: confirmed.fee,
      blockNumber: confirmed.blockNumber,
    };
  } finally {
    sender.stop();
    await rpc.stop();
  }
}
