import { getAddress, isHexString, type Log } from 'ethers';
import type { Logger } from 'pino';
import { DaemonError } from '../../errors';
import type { ChannelEngine, ChannelState, ChannelStatus, TxOutcome } from '../channel-engine';
import type { EndpointState } from '../endpoint-pool';
import { CHANNELS_INTERFACE, ContractChannelStatus, describeChannelsRevert } from './channels-contract';
import { inlineSignatureVerifier, type SignatureVerifier } from '../signature-pool';
import { recoverClaimSigner, type ChannelClaim } from './claim-signature';
import { EvmRpc, isNodeAnswer, nodeMessage } from './evm-rpc';
import { TransactionSender, type ConfirmedTransaction, type SignedTransaction } from './transaction-sender';

/**
 * Payment channels on an EVM chain, through the contract in contracts/UnidirectionalEthChannels.sol:
 * ETH channels, EIP-712 cumulative claims (claim-signature.ts), a challenge period on the sender's
 * close. RPC goes through a pool of providers with a breaker per endpoint (evm-rpc.ts); our
 * transactions through one nonce manager (transaction-sender.ts).
 *
 * One engine per signing key and chain: two engines sharing a key would race for nonces.
 */
export interface EvmChannelEngineOptions {
  readonly rpcUrls: readonly string[];
  /** Providers in all, spread over the URLs (default: one per URL). */
  readonly poolSize?: number;
  readonly chainId: bigint | number;
  readonly contractAddress: string;
  /** Our key, 0x-prefixed hex (the core reads it from the environment or a key file). */
  readonly privateKey: string;
  /** Blocks before a transaction counts as final (default 1: enough on a dev chain, not on mainnet). */
  readonly confirmations?: number;
  /** Per JSON-RPC request (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly healthIntervalMs?: number;
  /** Consecutive failures that open an endpoint's breaker (default 3). */
  readonly breakerFailures?: number;
  readonly halfOpenAfterMs?: number;
  /** How often a receipt is polled (default 1 s). */
  readonly pollIntervalMs?: number;
  /** How often a signed transaction without a receipt is sent again (default 15 s). */
  readonly rebroadcastIntervalMs?: number;
  /** How long a signed transaction may stay unconfirmed before the call fails (default 5 min). */
  readonly confirmTimeoutMs?: number;
  readonly gasMarginPercent?: number;
  readonly logger: Logger;
  readonly onEndpointStateChange?: (endpoint: string, state: EndpointState) => void;
  /** Awaited before a signed transaction is first sent (persist it to re-send it after a crash). */
  readonly onTransactionSigned?: (tx: SignedTransaction) => Promise<void> | void;
  /** Where checks against a known sender key run (default: inline). */
  readonly verifier?: SignatureVerifier;
}

/** What the engine checks once per start on the chain itself before trusting it with money. */
interface ContractFacts {
  readonly challengePeriodSeconds: number;
}

const CHANNEL_ID = /^0x[0-9a-fA-F]{64}$/;
const UINT256_MAX = (1n << 256n) - 1n;

export class EvmChannelEngine implements ChannelEngine {
  readonly chain = 'evm' as const;
  readonly chainScale = 18;
  readonly ourAddress: string;
  readonly contractAddress: string;
  readonly chainId: bigint;
  private readonly rpc: EvmRpc;
  private readonly sender: TransactionSender;
  private readonly logger: Logger;
  private facts: Promise<ContractFacts> | undefined;
  /** Public keys of channel senders, learned by recovering one of their claims (address → key). */
  private readonly senderKeys = new Map<string, string>();

  constructor(private readonly options: EvmChannelEngineOptions) {
    this.logger = options.logger;
    this.chainId = BigInt(options.chainId);
    try {
      this.contractAddress = getAddress(options.contractAddress);
    } catch (err) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        `evm contractAddress: not an address: ${options.contractAddress}`,
        {
          cause: err,
        },
      );
    }
    this.rpc = new EvmRpc({
      urls: options.rpcUrls,
      poolSize: options.poolSize ?? options.rpcUrls.length,
      chainId: this.chainId,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      healthIntervalMs: options.healthIntervalMs ?? 10_000,
      breakerFailures: options.breakerFailures ?? 3,
      halfOpenAfterMs: options.halfOpenAfterMs ?? 5_000,
      logger: options.logger,
      onStateChange: options.onEndpointStateChange,
    });
    try {
      this.sender = new TransactionSender({
        rpc: this.rpc,
        privateKey: options.privateKey,
        chainId: this.chainId,
        confirmations: options.confirmations ?? 1,
        pollIntervalMs: options.pollIntervalMs ?? 1_000,
        rebroadcastIntervalMs: options.rebroadcastIntervalMs ?? 15_000,
        confirmTimeoutMs: options.confirmTimeoutMs ?? 300_000,
        gasMarginPercent: options.gasMarginPercent ?? 20,
        logger: options.logger,
        describeRevert: describeChannelsRevert,
        onSigned: options.onTransactionSigned,
      });
    } catch (err) {
      // Never echo the key itself.
      throw new DaemonError('ILPD_ERR_CONFIG', 'evm privateKey: expected 32 bytes of 0x-prefixed hex', {
        cause: err,
      });
    }
    this.ourAddress = this.sender.address;
  }

  /**
   * Starts the pool's health probes and checks the chain (chain id, contract code) when it answers; an
   * unreachable chain does not fail the start, the checks then run before the first use.
   */
  async start(): Promise<void> {
    await this.rpc.start();
    await this.sender.start();
    try {
      await this.contractFacts();
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ILPD_ERR_CONFIG') throw err;
      this.logger.warn({ err: nodeMessage(err) }, 'evm: chain not reachable at start; checks deferred');
    }
  }

  async stop(): Promise<void> {
    this.sender.stop();
    await this.rpc.stop();
  }

  isAvailable(): boolean {
    return this.rpc.pool.isAvailable();
  }

  endpointStates(): { endpoint: string; state: EndpointState }[] {
    return this.rpc.pool.states();
  }

  async openChannel(receiver: string, deposit: bigint): Promise<ChannelState> {
    const to = address(receiver, 'receiver');
    positive(deposit, 'deposit');
    const facts = await this.contractFacts();
    const confirmed = await this.transact('open', [to], `open channel to ${to}`, deposit);
    const opened = this.event(confirmed, 'ChannelOpened');
    return {
      chain: 'evm',
      channelId: opened.args.channelId as string,
      sender: this.ourAddress,
      receiver: getAddress(opened.args.receiver as string),
      deposit: opened.args.deposit as bigint,
      paidOut: 0n,
      status: 'open',
      settleDelaySeconds: facts.challengePeriodSeconds,
    };
  }

  async deposit(channelId: string, amount: bigint): Promise<ChannelState> {
    channelIdOf(channelId);
    positive(amount, 'amount');
    const confirmed = await this.transact('topUp', [channelId], `top up ${channelId}`, amount);
    // Read at the block of the top-up: a lagging endpoint must not report the old deposit.
    const state = await this.readChannelAt(channelId, confirmed.blockNumber);
    if (state === undefined)
      throw new DaemonError('ILPD_ERR_INTERNAL', `channel ${channelId} vanished after a top-up`);
    return state;
  }

  async signClaim(channel: ChannelState, cumulative: bigint): Promise<string> {
    this.ensureEvm(channel);
    if (getAddress(channel.sender) !== this.ourAddress) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
        `channel ${channel.channelId} is not ours to pay from`,
      );
    }
    if (cumulative < 0n || cumulative > channel.deposit) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
        `claim of ${cumulative} wei on channel ${channel.channelId}: must be within its deposit of ${channel.deposit}`,
      );
    }
    return (this.options.verifier ?? inlineSignatureVerifier).signEvm({
      privateKey: this.options.privateKey,
      claim: this.claim(channel.channelId, cumulative),
    });
  }

  async startClose(channel: ChannelState): Promise<TxOutcome> {
    this.ensureEvm(channel);
    return outcome(
      await this.transact('startClose', [channel.channelId], `start closing ${channel.channelId}`),
    );
  }

  async finishClose(channel: ChannelState): Promise<TxOutcome> {
    this.ensureEvm(channel);
    return outcome(
      await this.transact('finishClose', [channel.channelId], `finish closing ${channel.channelId}`),
    );
  }

  async readChannel(channelId: string): Promise<ChannelState | undefined> {
    return this.readChannelAt(channelIdOf(channelId), 'latest');
  }

  /**
   * Whether `signature` is the channel sender's claim of `cumulative` on this chain and contract, by the
   * contract's rules (EIP-712, low s, v 27/28). The first claim of a sender is checked by key recovery,
   * which also learns its public key; later claims are verified against that key (several times
   * faster). Amount rules (increase, deposit) are the caller's.
   */
  async verifyClaim(channel: ChannelState, cumulative: bigint, signature: string): Promise<boolean> {
    this.ensureEvm(channel);
    if (cumulative < 0n || cumulative > UINT256_MAX || !isHexString(signature, 65)) return false;
    const sender = getAddress(channel.sender);
    const claim = this.claim(channel.channelId, cumulative);
    const known = this.senderKeys.get(sender);
    if (known !== undefined) {
      return (this.options.verifier ?? inlineSignatureVerifier).verify({
        chain: 'evm',
        claim,
        signature,
        publicKey: known,
      });
    }
    const signer = recoverClaimSigner(claim, signature);
    if (signer === undefined || signer.address !== sender) return false;
    this.senderKeys.set(sender, signer.publicKey);
    return true;
  }

  async redeem(
    channel: ChannelState,
    cumulative: bigint,
    signature: string,
    close: boolean,
  ): Promise<TxOutcome> {
    this.ensureEvm(channel);
    if (getAddress(channel.receiver) !== this.ourAddress) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
        `channel ${channel.channelId} does not pay us`,
      );
    }
    positive(cumulative, 'cumulative');
    if (!isHexString(signature, 65)) {
      throw new DaemonError('ILPD_ERR_SETTLEMENT_INVALID_INPUT', 'claim signature: expected 65 bytes of hex');
    }
    const method = close ? 'closeByReceiver' : 'claim';
    const label = `${close ? 'redeem and close' : 'redeem'} ${cumulative} wei on ${channel.channelId}`;
    return outcome(await this.transact(method, [channel.channelId, cumulative, signature], label));
  }

  private claim(channelId: string, cumulative: bigint): ChannelClaim {
    return { chainId: this.chainId, contract: this.contractAddress, channelId, cumulative };
  }

  private async readChannelAt(
    channelId: string,
    blockTag: number | 'latest',
  ): Promise<ChannelState | undefined> {
    const facts = await this.contractFacts();
    const data = CHANNELS_INTERFACE.encodeFunctionData('getChannel', [channelId]);
    let result: string;
    try {
      result = await this.rpc.call((p) => p.call({ to: this.contractAddress, data, blockTag }));
    } catch (err) {
      if (!isNodeAnswer(err)) throw err;
      // e.g. a lagging endpoint that does not have the block yet: retry later, like an outage.
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
        `evm: reading channel ${channelId}: ${nodeMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    const [channel] = CHANNELS_INTERFACE.decodeFunctionResult('getChannel', result);
    const status = Number(channel.status) as ContractChannelStatus;
    if (status === ContractChannelStatus.None) return undefined;
    const closesAt = Number(channel.closesAt);
    return {
      chain: 'evm',
      channelId,
      sender: getAddress(channel.sender as string),
      receiver: getAddress(channel.receiver as string),
      deposit: channel.deposit as bigint,
      paidOut: channel.paidOut as bigint,
      status: STATUS[status],
      ...(status === ContractChannelStatus.Closing ? { closesAtMs: closesAt * 1000 } : {}),
      settleDelaySeconds: facts.challengePeriodSeconds,
    };
  }

  private async transact(
    method: string,
    args: unknown[],
    label: string,
    value?: bigint,
  ): Promise<ConfirmedTransaction> {
    await this.contractFacts();
    const data = CHANNELS_INTERFACE.encodeFunctionData(method, args);
    return this.sender.send({ to: this.contractAddress, data, value, label });
  }

  private event(confirmed: ConfirmedTransaction, name: string) {
    for (const log of confirmed.receipt.logs as readonly Log[]) {
      if (getAddress(log.address) !== this.contractAddress) continue;
      const parsed = CHANNELS_INTERFACE.parseLog({ topics: [...log.topics], data: log.data });
      if (parsed?.name === name) return parsed;
    }
    throw new DaemonError('ILPD_ERR_INTERNAL', `transaction ${confirmed.hash} has no ${name} event`);
  }

  /**
   * Checks, once per engine, that the endpoints serve the configured chain and that the configured
   * address holds the channel contract; an unreachable chain is retried on the next use.
   */
  private contractFacts(): Promise<ContractFacts> {
    this.facts ??= this.checkChain().catch((err: unknown) => {
      this.facts = undefined;
      throw err;
    });
    return this.facts;
  }

  private async checkChain(): Promise<ContractFacts> {
    const chainId = BigInt(await this.rpc.call((p) => p.send('eth_chainId', []) as Promise<string>));
    if (chainId !== this.chainId) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        `evm chainId: configured ${this.chainId}, but the endpoints serve chain ${chainId}`,
      );
    }
    const data = CHANNELS_INTERFACE.encodeFunctionData('challengePeriod', []);
    let result: string;
    try {
      result = await this.rpc.call((p) => p.call({ to: this.contractAddress, data }));
    } catch (err) {
      if (!isNodeAnswer(err)) throw err;
      result = '0x';
    }
    if (result === '0x') {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        `evm contractAddress: no payment-channel contract at ${this.contractAddress} on chain ${chainId} (deploy one first)`,
      );
    }
    const [period] = CHANNELS_INTERFACE.decodeFunctionResult('challengePeriod', result);
    return { challengePeriodSeconds: Number(period) };
  }

  private ensureEvm(channel: ChannelState): void {
    if (channel.chain !== 'evm') {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
        `channel ${channel.channelId} is on ${channel.chain}`,
      );
    }
    channelIdOf(channel.channelId);
  }
}

const STATUS: Record<
  ContractChannelStatus.Open | ContractChannelStatus.Closing | ContractChannelStatus.Closed,
  ChannelStatus
> = {
  [ContractChannelStatus.Open]: 'open',
  [ContractChannelStatus.Closing]: 'closing',
  [ContractChannelStatus.Closed]: 'closed',
};

function outcome(confirmed: ConfirmedTransaction): TxOutcome {
  return { hash: confirmed.hash, fee: confirmed.fee };
}

function address(value: string, what: string): string {
  try {
    return getAddress(value);
  } catch (err) {
    throw new DaemonError('ILPD_ERR_SETTLEMENT_INVALID_INPUT', `${what}: not an address: ${value}`, {
      cause: err,
    });
  }
}

function channelIdOf(channelId: string): string {
  if (!CHANNEL_ID.test(channelId)) {
    throw new DaemonError(
      'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
      `not a channel id (32 bytes of 0x-hex): ${channelId}`,
    );
  }
  return channelId;
}

function positive(amount: bigint, what: string): void {
  if (amount <= 0n) {
    throw new DaemonError(
      'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
      `${what}: expected a positive amount of wei, got ${amount}`,
    );
  }
}
