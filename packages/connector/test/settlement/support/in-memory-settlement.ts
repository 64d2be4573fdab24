import { createHmac } from 'node:crypto';
import { decodeBtp, type BtpPacket } from '@ilpd/codec';
import { DaemonError } from '../../../src/errors';
import type { ClaimRecord, SettlementLedger, SettlementOutcome } from '../../../src/ledger/types';
import type { BtpRequester, BtpSubProtocolHandler } from '../../../src/ports';
import type { ChannelEngine, ChannelState, TxOutcome } from '../../../src/settlement/channel-engine';

/**
 * Unit-test doubles for the settlement core's collaborators (the real chains, ledgers and sockets are
 * exercised by the end-to-end suites): a chain whose channels live in a Map and whose "signatures" are
 * HMACs under the sender's secret, a ledger of balances and best claims, and a BTP link that hands
 * frames straight to the other node's handler.
 */
export class InMemoryChain {
  readonly channels = new Map<string, ChannelState>();
  readonly secrets = new Map<string, string>();
  private nextId = 1;
  reachable = true;
  redeemed: { channelId: string; cumulative: bigint; close: boolean }[] = [];

  engine(address: string, secret = `${address}-secret`): InMemoryChannelEngine {
    this.secrets.set(address, secret);
    return new InMemoryChannelEngine(this, address, secret);
  }

  newChannelId(): string {
    return `0x${(this.nextId++).toString(16).padStart(64, '0')}`;
  }

  signature(sender: string, channelId: string, cumulative: bigint): string {
    const secret = this.secrets.get(sender) ?? 'unknown';
    return createHmac('sha256', secret).update(`${channelId}/${cumulative}`).digest('hex');
  }

  requireReachable(): void {
    if (!this.reachable) throw new DaemonError('ILPD_ERR_SETTLEMENT_UNAVAILABLE', 'chain unreachable');
  }
}

export class InMemoryChannelEngine implements ChannelEngine {
  readonly chain = 'evm' as const;
  readonly chainScale = 18;
  readonly chainId = 31337n;
  signed = 0;

  constructor(
    private readonly ledger: InMemoryChain,
    readonly ourAddress: string,
    private readonly secret: string,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isAvailable(): boolean {
    return this.ledger.reachable;
  }
  endpointStates() {
    return [{ endpoint: 'memory', state: this.ledger.reachable ? ('healthy' as const) : ('open' as const) }];
  }

  async openChannel(receiver: string, deposit: bigint): Promise<ChannelState> {
    this.ledger.requireReachable();
    const channel: ChannelState = {
      chain: 'evm',
      channelId: this.ledger.newChannelId(),
      sender: this.ourAddress,
      receiver,
      deposit,
      paidOut: 0n,
      status: 'open',
      settleDelaySeconds: 3600,
    };
    this.ledger.channels.set(channel.channelId, channel);
    return channel;
  }

  async deposit(channelId: string, amount: bigint): Promise<ChannelState> {
    this.ledger.requireReachable();
    const channel = this.ledger.channels.get(channelId) as ChannelState;
    const updated = { ...channel, deposit: channel.deposit + amount };
    this.ledger.channels.set(channelId, updated);
    return updated;
  }

  async signClaim(channel: ChannelState, cumulative: bigint): Promise<string> {
    this.signed++;
    return createHmac('sha256', this.secret).update(`${channel.channelId}/${cumulative}`).digest('hex');
  }

  async startClose(channel: ChannelState): Promise<TxOutcome> {
    this.ledger.channels.set(channel.channelId, {
      ...channel,
      status: 'closing',
      closesAtMs: Date.now() + 3_600_000,
    });
    return { hash: '0xclose', fee: 1n };
  }

  async finishClose(channel: ChannelState): Promise<TxOutcome> {
    this.ledger.channels.set(channel.channelId, { ...channel, status: 'closed' });
    return { hash: '0xfinish', fee: 1n };
  }

  async readChannel(channelId: string): Promise<ChannelState | undefined> {
    this.ledger.requireReachable();
    return this.ledger.channels.get(channelId);
  }

  async verifyClaim(channel: ChannelState, cumulative: bigint, signature: string): Promise<boolean> {
    return this.ledger.signature(channel.sender, channel.channelId, cumulative) === signature;
  }

  async redeem(
    channel: ChannelState,
    cumulative: bigint,
    _signature: string,
    close: boolean,
  ): Promise<TxOutcome> {
    this.ledger.requireReachable();
    this.ledger.redeemed.push({ channelId: channel.channelId, cumulative, close });
    this.ledger.channels.set(channel.channelId, {
      ...channel,
      paidOut: cumulative,
      status: close ? 'closed' : channel.status,
    });
    return { hash: '0xredeem', fee: 2n };
  }
}

/** Balances and best claims, with the SettlementLedger's all-or-nothing rule per claim. */
export class InMemorySettlementLedger implements SettlementLedger {
  readonly balances = new Map<string, bigint>();
  settlementAccount = 0n;
  readonly stored = new Map<string, ClaimRecord>();
  writes = 0;

  constructor(peers: Record<string, bigint>) {
    for (const [peer, balance] of Object.entries(peers)) this.balances.set(peer, balance);
  }

  /** The next write fails as a ledger outage would (nothing is booked). */
  failNext = 0;

  async recordSettlement(claim: ClaimRecord, amount: bigint): Promise<SettlementOutcome> {
    this.writes++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'the ledger is not running');
    }
    const key = `${claim.direction}/${claim.channelId}`;
    const best = this.stored.get(key);
    if (best !== undefined && best.peerId !== claim.peerId) return 'foreign-channel';
    if (best !== undefined && best.cumulative >= claim.cumulative) return 'stale';
    this.stored.set(key, claim);
    const sign = claim.direction === 'paid' ? 1n : -1n;
    this.balances.set(claim.peerId, (this.balances.get(claim.peerId) ?? 0n) + sign * amount);
    this.settlementAccount -= sign * amount;
    return 'applied';
  }

  async claims(): Promise<ClaimRecord[]> {
    return [...this.stored.values()];
  }

  postedBalance(peerId: string): bigint | undefined {
    return this.balances.get(peerId);
  }
}

/** Two nodes' BTP sessions, back to back: a request from one is handled by the other's handler. */
export class LoopbackLink implements BtpRequester {
  connected = true;
  sent: BtpPacket[] = [];
  private nextRequestId = 1;

  /** `asPeer`: the id the remote node knows the sender by. */
  constructor(
    private readonly asPeer: string,
    private readonly remote: () => BtpSubProtocolHandler,
  ) {}

  async request(
    _peerId: string,
    build: (requestId: number) => Buffer,
    _timeoutMs: number,
  ): Promise<BtpPacket> {
    if (!this.connected) throw new DaemonError('ILPD_ERR_PEER_UNREACHABLE', 'not connected');
    const frame = decodeBtp(build(this.nextRequestId++));
    this.sent.push(frame);
    const handler = this.remote();
    const answer =
      frame.type === 7
        ? await handler.handleTransfer(this.asPeer, frame as BtpPacket & { type: 7 })
        : await handler.handleMessage(this.asPeer, frame);
    if (answer === undefined) throw new Error('no answer');
    return decodeBtp(answer);
  }
}
