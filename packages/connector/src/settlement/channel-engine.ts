import type { EndpointState } from './endpoint-pool';

/**
 * The seam between the chain-independent settlement core (thresholds, claim bookkeeping, the BTP
 * sub-protocol, the ledger) and one chain's payment channels (EVM, XRPL). Amounts here are in the
 * chain's own unit (wei, drops); the core converts to and from the peers' asset scale.
 *
 * Channels are unidirectional: the sender deposits, signs cumulative claims (the total ever paid on the
 * channel) and gives them to the receiver, who can redeem the best one on chain at any time. A claim is
 * therefore a payment the moment the receiver holds it, and a newer claim supersedes every older one.
 */
export type ChainName = 'evm' | 'xrpl';

export type ChannelStatus = 'open' | 'closing' | 'closed';

export interface ChannelState {
  readonly chain: ChainName;
  /** EVM: 0x-prefixed 32-byte hex; XRPL: the 64-hex-digit channel ledger object id. */
  readonly channelId: string;
  /** EVM: the sender's checksummed address; XRPL: the source classic address. */
  readonly sender: string;
  readonly receiver: string;
  /** Total funds in the channel (chain units): no valid claim can exceed it. */
  readonly deposit: bigint;
  /** Already paid out on chain to the receiver (XRPL Balance; EVM the highest cumulative claim redeemed). */
  readonly paidOut: bigint;
  readonly status: ChannelStatus;
  /**
   * ms since epoch after which the channel can be finalised without the receiver (EVM: end of the
   * sender's challenge period; XRPL: the earlier of Expiration and CancelAfter); undefined = none.
   */
  readonly closesAtMs?: number;
  /** XRPL: the channel's public key (hex, 33 bytes, ED-prefixed for ed25519). */
  readonly publicKey?: string;
  /** XRPL: SettleDelay in seconds; EVM: the contract's challenge period in seconds. */
  readonly settleDelaySeconds: number;
  /** XRPL: CancelAfter (ms since epoch) when set: a channel that can expire under the receiver. */
  readonly cancelAfterMs?: number;
}

export interface TxOutcome {
  /** Transaction hash. */
  readonly hash: string;
  /** Fee paid by the submitter (wei, drops). */
  readonly fee: bigint;
}

/** Why a claim or channel is refused; sent back to the peer in the BTP error and logged. */
export type ClaimRefusal =
  | 'bad-signature'
  | 'not-increasing'
  | 'over-deposit'
  | 'wrong-channel'
  | 'channel-closing'
  | 'unknown-channel'
  | 'malformed'
  /** The channel's own terms put our claims at risk (XRPL: CancelAfter set, settle delay too short). */
  | 'unsafe-terms';

export type ChannelCheck =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: ClaimRefusal; readonly message: string };

export interface ChannelEngine {
  readonly chain: ChainName;
  /** Decimal places of the chain unit relative to one whole coin: ETH 18 (wei), XRP 6 (drops). */
  readonly chainScale: number;
  /** Our own address on this chain (where peers open channels to us). */
  readonly ourAddress: string;
  /** EVM: the chain id claims are signed for (announced to peers); undefined elsewhere. */
  readonly chainId?: bigint;

  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the chain can be reached now (the pool has a usable endpoint). */
  isAvailable(): boolean;
  endpointStates(): { endpoint: string; state: EndpointState }[];

  // The sender's side: our channels to peers.
  openChannel(receiver: string, deposit: bigint): Promise<ChannelState>;
  deposit(channelId: string, amount: bigint): Promise<ChannelState>;
  /** Signs a cumulative claim on one of our channels; returns the signature as hex. */
  signClaim(channel: ChannelState, cumulative: bigint): Promise<string>;
  /** Starts closing our channel (EVM: the challenge period; XRPL: a close request setting Expiration). */
  startClose(channel: ChannelState): Promise<TxOutcome>;
  /** After the challenge period / expiration: takes back what was not claimed. */
  finishClose(channel: ChannelState): Promise<TxOutcome>;

  // The receiver's side: peers' channels to us.
  /** Reads a channel from the chain; undefined when it does not exist (or no longer exists). */
  readChannel(channelId: string): Promise<ChannelState | undefined>;
  /** Checks a claim's signature against the channel's sender (its address / public key). */
  verifyClaim(channel: ChannelState, cumulative: bigint, signature: string): Promise<boolean>;
  /**
   * Whether a peer's channel to us can be credited (e.g. XRPL refuses CancelAfter, a settle delay
   * below our minimum, another destination). Checked before any claim on it is credited.
   */
  checkIncomingChannel?(channel: ChannelState): ChannelCheck;
  /** Redeems a claim on chain (and closes the channel when `close`): the receiver gets `cumulative`. */
  redeem(channel: ChannelState, cumulative: bigint, signature: string, close: boolean): Promise<TxOutcome>;
}
