import { createHash, randomBytes } from 'node:crypto';
import { decodeReject, encodePrepare } from '@ilpd/codec';
import { JsonRpcProvider } from 'ethers';
import pino from 'pino';
import { deployChannelsContract } from '../../packages/connector/src/settlement/evm/channels-contract';
import { Anvil } from './anvil';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from './btp-peer';
import { DaemonProcess } from './daemon-process';

/**
 * Two real ilpd processes that settle over EVM payment channels on a real anvil:
 *
 *   sender ─BTP─► A (test.a) ─BTP─► B (test.b) ─BTP─► receiver
 *
 * A owes B for every fulfilled packet and pays it with claims on its channel to B; B credits them.
 * Both run the embedded ledger, spread 0 (amounts arrive unchanged) and the ETH asset at scale 9.
 * A's key is anvil's account 1, B's account 2; the contract is deployed by account 0.
 */
export const ADMIN_TOKEN = 'settlement-admin-token';
export const CHALLENGE_PERIOD_SECONDS = 3600;

export interface PairOptions {
  /** A pays B once it owes this much (asset units, scale 9). */
  readonly threshold?: bigint;
  readonly settleTo?: bigint;
  /** A's channel deposit when opened on demand (asset units). */
  readonly deposit?: bigint;
  /** A's floor for B (how much A may owe B), asset units. */
  readonly creditLimit?: bigint;
  readonly workers?: number;
  readonly extraConfig?: Record<string, unknown>;
}

export class SettlementPair {
  sender!: BtpPeer;
  receiver!: BtpPeer;
  readonly provider: JsonRpcProvider;
  private readonly fulfillment = randomBytes(32);
  private readonly condition = createHash('sha256').update(this.fulfillment).digest();
  receivedAmounts = 0n;

  private constructor(
    readonly anvil: Anvil,
    readonly contractAddress: string,
    public a: DaemonProcess,
    public b: DaemonProcess,
    private readonly options: PairOptions,
  ) {
    this.provider = new JsonRpcProvider(anvil.url, anvil.chainId, {
      staticNetwork: true,
      batchMaxCount: 1,
      // Every read goes to the node: a cached balance would hide what a transaction just changed.
      cacheTimeout: -1,
    });
  }

  get aKey(): string {
    return this.anvil.privateKeys[1];
  }

  get bKey(): string {
    return this.anvil.privateKeys[2];
  }

  get aAddress(): string {
    return this.anvil.addresses[1];
  }

  get bAddress(): string {
    return this.anvil.addresses[2];
  }

  static async start(options: PairOptions = {}): Promise<SettlementPair> {
    const anvil = await Anvil.spawn();
    try {
      const deployed = await deployChannelsContract({
        rpcUrls: [anvil.url],
        chainId: anvil.chainId,
        privateKey: anvil.privateKeys[0],
        challengePeriodSeconds: CHALLENGE_PERIOD_SECONDS,
        logger: pino({ level: 'silent' }),
      });
      const settlement = (workers: number) => ({
        workers,
        claimTimeoutMs: 5000,
        watchIntervalMs: 1000,
        evm: {
          rpcUrls: [anvil.url],
          chainId: anvil.chainId,
          contractAddress: deployed.address,
          healthIntervalMs: 500,
          halfOpenAfterMs: 1000,
        },
      });
      const credit = options.creditLimit ?? 1_000_000n;
      const b = await DaemonProcess.start({
        address: 'test.b',
        adminToken: ADMIN_TOKEN,
        env: { ILPD_SETTLEMENT__EVM__PRIVATE_KEY: anvil.privateKeys[2] },
        config: {
          fx: { spread: 0 },
          routing: { broadcast: false },
          settlement: settlement(options.workers ?? 1),
          ...options.extraConfig,
        },
        peers: [
          {
            id: 'a',
            relation: 'peer',
            btp: { role: 'server', authToken: 'a-secret' },
            assetCode: 'ETH',
            assetScale: 9,
            balance: { minimum: `-${credit}`, maximum: `${credit}` },
            settlement: { engine: 'evm', threshold: `${credit}`, peerAddress: anvil.addresses[1] },
          },
          {
            id: 'receiver',
            relation: 'child',
            btp: { role: 'server', authToken: 'receiver-secret' },
            assetCode: 'ETH',
            assetScale: 9,
          },
        ],
      });
      const a = await DaemonProcess.start({
        address: 'test.a',
        adminToken: ADMIN_TOKEN,
        env: { ILPD_SETTLEMENT__EVM__PRIVATE_KEY: anvil.privateKeys[1] },
        config: {
          fx: { spread: 0 },
          routing: { broadcast: false },
          routes: [{ prefix: 'test.b', peer: 'b' }],
          settlement: settlement(options.workers ?? 1),
          ...options.extraConfig,
        },
        peers: [
          {
            id: 'b',
            relation: 'peer',
            btp: { role: 'client', url: `btp+ws://a:a-secret@127.0.0.1:${b.btpPort}` },
            assetCode: 'ETH',
            assetScale: 9,
            balance: { minimum: `-${credit}`, maximum: `${credit}` },
            settlement: {
              engine: 'evm',
              threshold: `${options.threshold ?? 1000n}`,
              settleTo: `${options.settleTo ?? 0n}`,
              autoOpen: { deposit: `${options.deposit ?? 100_000_000n}` },
            },
          },
          {
            id: 'sender',
            relation: 'child',
            btp: { role: 'server', authToken: 'sender-secret' },
            assetCode: 'ETH',
            assetScale: 9,
          },
        ],
      });
      const pair = new SettlementPair(anvil, deployed.address, a, b, options);
      await pair.connectPeers();
      return pair;
    } catch (err) {
      await anvil.kill();
      throw err;
    }
  }

  /** (Re)connects the sender to A and the receiver to B, and waits until A's session with B is up. */
  async connectPeers(): Promise<void> {
    this.receiver = await connectBtpPeer(
      this.b.btpUrl,
      { username: 'receiver', token: 'receiver-secret' },
      {
        onPrepare: (view) => {
          this.receivedAmounts += view.amount;
          return fulfillPacket(this.fulfillment);
        },
      },
    );
    this.sender = await connectBtpPeer(this.a.btpUrl, { username: 'sender', token: 'sender-secret' });
    await eventually(async () => {
      const peers = (await this.a.getJson('/admin/peers')).body as {
        peers: { id: string; connected: boolean }[];
      };
      return peers.peers.find((p) => p.id === 'b')?.connected === true;
    }, 15_000);
  }

  prepare(amount: bigint): Buffer {
    return encodePrepare({
      amount,
      expiresAt: new Date(Date.now() + 20_000),
      executionCondition: this.condition,
      destination: 'test.b.receiver.invoice',
      data: Buffer.alloc(0),
    });
  }

  /** Sends one packet sender → A → B → receiver; resolves with 'fulfilled' or the reject code. */
  async pay(amount: bigint): Promise<string> {
    const answer = await this.sender.sendIlp(this.prepare(amount));
    return answer[0] === 13 ? 'fulfilled' : decodeReject(answer).code;
  }

  /** A's balance with B (negative: A owes B) and B's with A (positive: A owes B), from their reports. */
  async balances(): Promise<{ aOwesB: bigint; bIsOwed: bigint; aSettlement: bigint; bSettlement: bigint }> {
    const report = async (d: DaemonProcess, peer: string) => {
      const body = (await d.getJson('/admin/balances')).body as {
        balances: { peerId: string; balance: string }[];
        settlement: { assetCode: string; balance: string }[];
      };
      return {
        peer: BigInt(body.balances.find((p) => p.peerId === peer)?.balance ?? '0'),
        settlement: BigInt(body.settlement.find((s) => s.assetCode === 'ETH')?.balance ?? '0'),
      };
    };
    const [a, b] = await Promise.all([report(this.a, 'b'), report(this.b, 'a')]);
    return { aOwesB: -a.peer, bIsOwed: b.peer, aSettlement: a.settlement, bSettlement: b.settlement };
  }

  async channels(d: DaemonProcess): Promise<ChannelJson[]> {
    return ((await d.getJson('/admin/channels')).body as { channels: ChannelJson[] }).channels;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.sender?.close(), this.receiver?.close()]);
    await Promise.allSettled([this.a.dispose(), this.b.dispose()]);
    this.provider.destroy();
    await this.anvil.kill();
  }

  get creditLimit(): bigint {
    return this.options.creditLimit ?? 1_000_000n;
  }
}

export interface ChannelJson {
  readonly peerId: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly chain: string;
  readonly channelId: string;
  readonly status: string;
  readonly deposit?: string;
  readonly claimed: string;
  readonly acknowledged?: string;
  readonly paidOut?: string;
}

export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
