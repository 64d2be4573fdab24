import { createHash, randomBytes } from 'node:crypto';
import { decodeReject, encodePrepare } from '@ilpd/codec';
import { JsonRpcProvider } from 'ethers';
import pino from 'pino';
import { ECDSA, Wallet } from 'xrpl';
import { deployChannelsContract } from '../../packages/connector/src/settlement/evm/channels-contract';
import { Anvil } from './anvil';
import { XrplLedgerStandIn } from './xrpl-standin';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from './btp-peer';
import { DaemonProcess } from './daemon-process';

/**
 * Two real ilpd processes that settle over payment channels, on a real anvil (EVM) or on the XRPL
 * ledger stand-in (no rippled can run here; see xrpl-standin/README.md):
 *
 *   sender ─BTP─► A (test.a) ─BTP─► B (test.b) ─BTP─► receiver
 *
 * A owes B for every fulfilled packet and pays it with claims on its channel to B; B credits them.
 * Both run the embedded ledger and spread 0 (amounts arrive unchanged); the asset is the chain's coin
 * (ETH or XRP) at scale 9 (so XRP claims, in drops, carry what is below a drop to the next claim).
 * EVM: A's key is anvil's account 1, B's account 2; the contract is deployed by account 0. XRPL: two
 * fresh ed25519 accounts funded from the stand-in's genesis account.
 */
export const ADMIN_TOKEN = 'settlement-admin-token';
export const CHALLENGE_PERIOD_SECONDS = 3600;

/** The chain the pair settles on, with what the tests read from it. */
export interface Chain {
  readonly engine: 'evm' | 'xrpl';
  readonly asset: 'ETH' | 'XRP';
  /** A's and B's addresses on the chain. */
  readonly aAddress: string;
  readonly bAddress: string;
  /** Env giving A's and B's keys. */
  readonly aEnv: NodeJS.ProcessEnv;
  readonly bEnv: NodeJS.ProcessEnv;
  /** settlement.<engine> of both configs. */
  readonly section: Record<string, unknown>;
  /** An account's balance on chain (wei, drops). */
  balanceOf(address: string): Promise<bigint>;
  /** Takes the chain away for `ms` (state kept), then brings it back. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface PairOptions {
  /** Default evm. */
  readonly engine?: 'evm' | 'xrpl';
  /** false: the same two nodes without settlement (no chain), for comparisons. Default true. */
  readonly settle?: boolean;
  /** A pays B once it owes this much (asset units, scale 9). */
  readonly threshold?: bigint;
  readonly settleTo?: bigint;
  /** A's channel deposit when opened on demand (asset units). */
  readonly deposit?: bigint;
  /** A's floor for B (how much A may owe B), asset units. */
  readonly creditLimit?: bigint;
  readonly workers?: number;
  readonly extraConfig?: Record<string, unknown>;
  /** More peers of B's (e.g. a cheat). */
  readonly bPeers?: readonly Record<string, unknown>[];
  /** How many BTP connections B accepts for A's account (default 1). */
  readonly aMaxConnectionsOnB?: number;
  /** settlement.watchIntervalMs (default 1 s: tests want changes seen quickly). */
  readonly watchIntervalMs?: number;
  /** The chain section's healthIntervalMs (default 500 ms). */
  readonly healthIntervalMs?: number;
  /** peers[].budget of every peer (load runs carry all traffic over these few peers). */
  readonly peerBudget?: Record<string, number>;
}

export class SettlementPair {
  sender!: BtpPeer;
  receiver!: BtpPeer;
  private readonly fulfillment = randomBytes(32);
  private readonly condition = createHash('sha256').update(this.fulfillment).digest();
  receivedAmounts = 0n;

  private constructor(
    readonly chain: Chain,
    public a: DaemonProcess,
    public b: DaemonProcess,
    private readonly options: PairOptions,
  ) {}

  get aAddress(): string {
    return this.chain.aAddress;
  }

  get bAddress(): string {
    return this.chain.bAddress;
  }

  static async start(options: PairOptions = {}): Promise<SettlementPair> {
    const chain = await (options.settle === false
      ? noChain(options.engine ?? 'evm')
      : options.engine === 'xrpl'
        ? xrplChain()
        : evmChain());
    const settles = options.settle !== false;
    try {
      const engine = chain.engine;
      const asset = chain.asset;
      const settlement = (workers: number) => ({
        workers,
        claimTimeoutMs: 5000,
        watchIntervalMs: options.watchIntervalMs ?? 1000,
        [engine]: { ...chain.section, healthIntervalMs: options.healthIntervalMs ?? 500 },
      });
      const credit = options.creditLimit ?? 1_000_000n;
      const b = await DaemonProcess.start({
        address: 'test.b',
        adminToken: ADMIN_TOKEN,
        env: chain.bEnv,
        config: {
          fx: { spread: 0 },
          routing: { broadcast: false },
          ...(settles ? { settlement: settlement(options.workers ?? 1) } : {}),
          ...options.extraConfig,
        },
        peers: [
          {
            id: 'a',
            relation: 'peer',
            btp: { role: 'server', authToken: 'a-secret', maxConnections: options.aMaxConnectionsOnB ?? 1 },
            assetCode: asset,
            assetScale: 9,
            ...(options.peerBudget === undefined ? {} : { budget: options.peerBudget }),
            balance: { minimum: `-${credit}`, maximum: `${credit}` },
            ...(settles
              ? { settlement: { engine, threshold: `${credit}`, peerAddress: chain.aAddress } }
              : {}),
          },
          {
            id: 'receiver',
            relation: 'child',
            btp: { role: 'server', authToken: 'receiver-secret' },
            assetCode: asset,
            assetScale: 9,
            ...(options.peerBudget === undefined ? {} : { budget: options.peerBudget }),
          },
          ...(options.bPeers ?? []),
        ],
      });
      const a = await DaemonProcess.start({
        address: 'test.a',
        adminToken: ADMIN_TOKEN,
        env: chain.aEnv,
        config: {
          fx: { spread: 0 },
          routing: { broadcast: false },
          routes: [{ prefix: 'test.b', peer: 'b' }],
          ...(settles ? { settlement: settlement(options.workers ?? 1) } : {}),
          ...options.extraConfig,
        },
        peers: [
          {
            id: 'b',
            relation: 'peer',
            btp: { role: 'client', url: `btp+ws://a:a-secret@127.0.0.1:${b.btpPort}` },
            assetCode: asset,
            assetScale: 9,
            ...(options.peerBudget === undefined ? {} : { budget: options.peerBudget }),
            balance: { minimum: `-${credit}`, maximum: `${credit}` },
            ...(settles
              ? {
                  settlement: {
                    engine,
                    threshold: `${options.threshold ?? 1000n}`,
                    settleTo: `${options.settleTo ?? 0n}`,
                    autoOpen: { deposit: `${options.deposit ?? 100_000_000n}` },
                  },
                }
              : {}),
          },
          {
            id: 'sender',
            relation: 'child',
            btp: { role: 'server', authToken: 'sender-secret' },
            assetCode: asset,
            assetScale: 9,
            ...(options.peerBudget === undefined ? {} : { budget: options.peerBudget }),
          },
        ],
      });
      const pair = new SettlementPair(chain, a, b, options);
      await pair.connectPeers();
      return pair;
    } catch (err) {
      await chain.close();
      throw err;
    }
  }

  /** (Re)connects the sender to A and the receiver to B, and waits until A's session with B is up. */
  async connectPeers(): Promise<void> {
    await Promise.allSettled([this.sender?.close(), this.receiver?.close()]);
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
        settlement: BigInt(body.settlement.find((s) => s.assetCode === this.chain.asset)?.balance ?? '0'),
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
    await this.chain.close();
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

/** A real anvil with the channel contract deployed. */
export interface EvmChain extends Chain {
  readonly anvil: Anvil;
  readonly contractAddress: string;
  readonly provider: JsonRpcProvider;
}

export async function evmChain(): Promise<EvmChain> {
  const anvil = await Anvil.spawn();
  try {
    const deployed = await deployChannelsContract({
      rpcUrls: [anvil.url],
      chainId: anvil.chainId,
      privateKey: anvil.privateKeys[0],
      challengePeriodSeconds: CHALLENGE_PERIOD_SECONDS,
      logger: pino({ level: 'silent' }),
    });
    const provider = new JsonRpcProvider(anvil.url, anvil.chainId, {
      staticNetwork: true,
      batchMaxCount: 1,
      // Every read goes to the node: a cached balance would hide what a transaction just changed.
      cacheTimeout: -1,
    });
    return {
      engine: 'evm',
      asset: 'ETH',
      anvil,
      provider,
      contractAddress: deployed.address,
      aAddress: anvil.addresses[1],
      bAddress: anvil.addresses[2],
      aEnv: { ILPD_SETTLEMENT__EVM__PRIVATE_KEY: anvil.privateKeys[1] },
      bEnv: { ILPD_SETTLEMENT__EVM__PRIVATE_KEY: anvil.privateKeys[2] },
      section: {
        rpcUrls: [anvil.url],
        chainId: anvil.chainId,
        contractAddress: deployed.address,
        healthIntervalMs: 500,
        halfOpenAfterMs: 1000,
      },
      balanceOf: (address) => provider.getBalance(address),
      outage: (ms) => anvil.restart(ms),
      close: async () => {
        provider.destroy();
        await anvil.kill();
      },
    };
  } catch (err) {
    await anvil.kill();
    throw err;
  }
}

/** The XRPL ledger stand-in (a test double of rippled that applies channel transactions for real). */
export interface XrplChain extends Chain {
  readonly standIn: XrplLedgerStandIn;
}

export async function xrplChain(): Promise<XrplChain> {
  const standIn = await XrplLedgerStandIn.start({ closeIntervalMs: 100 });
  try {
    const [a, b] = [Wallet.generate(ECDSA.ed25519), Wallet.generate(ECDSA.ed25519)];
    await standIn.fund(a.address, 10_000_000_000n);
    await standIn.fund(b.address, 10_000_000_000n);
    return {
      engine: 'xrpl',
      asset: 'XRP',
      standIn,
      aAddress: a.address,
      bAddress: b.address,
      aEnv: { ILPD_SETTLEMENT__XRPL__SECRET: a.seed as string },
      bEnv: { ILPD_SETTLEMENT__XRPL__SECRET: b.seed as string },
      section: {
        servers: [standIn.url],
        settleDelaySeconds: 86_400,
        minSettleDelaySeconds: 3600,
        healthIntervalMs: 500,
        halfOpenAfterMs: 1000,
      },
      balanceOf: async (address) => standIn.account(address)?.balance ?? 0n,
      outage: async (ms) => {
        await standIn.stop();
        await new Promise((resolve) => setTimeout(resolve, ms));
        await standIn.restart();
      },
      close: () => standIn.close(),
    };
  } catch (err) {
    await standIn.close();
    throw err;
  }
}

/** No chain: the pair's nodes do not settle (the comparison runs of the settlement bench). */
function noChain(engine: 'evm' | 'xrpl'): Promise<Chain> {
  return Promise.resolve({
    engine,
    asset: engine === 'evm' ? 'ETH' : 'XRP',
    aAddress: '',
    bAddress: '',
    aEnv: {},
    bEnv: {},
    section: {},
    balanceOf: () => Promise.resolve(0n),
    outage: () => Promise.reject(new Error('no chain')),
    close: () => Promise.resolve(),
  });
}
