import { createHash, randomBytes } from 'node:crypto';
import { decodeReject, encodePrepare } from '@ilpd/codec';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from '../helpers/btp-peer';
import { DaemonProcess } from '../helpers/daemon-process';
import { evmChain, eventually, xrplChain, type EvmChain, type XrplChain } from '../helpers/settlement-pair';

/**
 * A three-node line across two chains and two assets, with real processes:
 *
 *   sender ─► A (ETH) ═EVM═ B (ETH → XRP at B's rates) ═XRPL═ C (XRP) ─► receiver
 *
 * A owes B in ETH and pays it over an EVM channel (anvil); B owes C in XRP and pays it over an XRP
 * channel (the XRPL stand-in). After a run of payments from A to C, each pair agrees on its claims,
 * and B's books (ledger and channels) balance in each asset.
 */
describe('a payment across an EVM leg and an XRPL leg settles on both (e2e)', () => {
  let evm: EvmChain;
  let xrpl: XrplChain;
  let a: DaemonProcess;
  let b: DaemonProcess;
  let c: DaemonProcess;
  let sender: BtpPeer;
  let receiver: BtpPeer;
  let received = 0n;
  const fulfillment = randomBytes(32);
  const condition = createHash('sha256').update(fulfillment).digest();

  const settlementConfig = (sections: Record<string, unknown>) => ({
    workers: 0,
    claimTimeoutMs: 5000,
    watchIntervalMs: 1000,
    ...sections,
  });
  /** A peer link; its credit is what either side may owe the other (asset units). */
  const link = (
    id: string,
    asset: 'ETH' | 'XRP',
    btp: Record<string, unknown>,
    settlement: Record<string, unknown>,
    credit: bigint,
  ) => ({
    id,
    relation: 'peer',
    btp,
    assetCode: asset,
    assetScale: 9,
    balance: { minimum: `-${credit}`, maximum: `${credit}` },
    settlement,
  });
  const ETH_CREDIT = 200_000n; // 20 packets of 10,000
  const XRP_CREDIT = 800_000_000n; // 20 packets of 40,000,000
  const child = (id: string, asset: 'ETH' | 'XRP') => ({
    id,
    relation: 'child',
    btp: { role: 'server', authToken: `${id}-secret` },
    assetCode: asset,
    assetScale: 9,
  });

  beforeAll(async () => {
    [evm, xrpl] = await Promise.all([evmChain(), xrplChain()]);
    const common = { fx: { spread: 0, rates: { ETH: 2000, XRP: 0.5 } }, routing: { broadcast: false } };
    c = await DaemonProcess.start({
      address: 'test.c',
      env: xrpl.bEnv,
      config: { ...common, settlement: settlementConfig({ xrpl: xrpl.section }) },
      peers: [
        link(
          'b',
          'XRP',
          { role: 'server', authToken: 'b-secret' },
          { engine: 'xrpl', threshold: `${XRP_CREDIT}`, peerAddress: xrpl.aAddress },
          XRP_CREDIT,
        ),
        child('receiver', 'XRP'),
      ],
    });
    b = await DaemonProcess.start({
      address: 'test.b',
      env: { ...evm.bEnv, ...xrpl.aEnv },
      config: {
        ...common,
        routes: [{ prefix: 'test.c', peer: 'c' }],
        settlement: settlementConfig({ evm: evm.section, xrpl: xrpl.section }),
      },
      peers: [
        link(
          'a',
          'ETH',
          { role: 'server', authToken: 'a-secret' },
          { engine: 'evm', threshold: `${ETH_CREDIT}`, peerAddress: evm.aAddress },
          ETH_CREDIT,
        ),
        link(
          'c',
          'XRP',
          { role: 'client', url: `btp+ws://b:b-secret@127.0.0.1:${c.btpPort}` },
          {
            engine: 'xrpl',
            threshold: '80000000',
            autoOpen: { deposit: '5000000000' },
            peerAddress: xrpl.bAddress,
          },
          XRP_CREDIT,
        ),
      ],
    });
    a = await DaemonProcess.start({
      address: 'test.a',
      env: evm.aEnv,
      config: {
        ...common,
        routes: [{ prefix: 'test.c', peer: 'b' }],
        settlement: settlementConfig({ evm: evm.section }),
      },
      peers: [
        link(
          'b',
          'ETH',
          { role: 'client', url: `btp+ws://a:a-secret@127.0.0.1:${b.btpPort}` },
          {
            engine: 'evm',
            threshold: '20000',
            autoOpen: { deposit: '100000000' },
            peerAddress: evm.bAddress,
          },
          ETH_CREDIT,
        ),
        child('sender', 'ETH'),
      ],
    });
    receiver = await connectBtpPeer(
      c.btpUrl,
      { username: 'receiver', token: 'receiver-secret' },
      {
        onPrepare: (view) => {
          received += view.amount;
          return fulfillPacket(fulfillment);
        },
      },
    );
    sender = await connectBtpPeer(a.btpUrl, { username: 'sender', token: 'sender-secret' });
    const connected = async (node: DaemonProcess, peer: string) =>
      (
        (await node.getJson('/admin/peers')).body as { peers: { id: string; connected: boolean }[] }
      ).peers.find((p) => p.id === peer)?.connected === true;
    await eventually(async () => (await connected(a, 'b')) && (await connected(b, 'c')), 15_000);
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([sender?.close(), receiver?.close()]);
    await Promise.allSettled([a?.dispose(), b?.dispose(), c?.dispose()]);
    await Promise.allSettled([evm?.close(), xrpl?.close()]);
  });

  async function report(node: DaemonProcess) {
    return (await node.getJson('/admin/balances')).body as {
      balances: { peerId: string; assetCode: string; balance: string }[];
      liquidity: { assetCode: string; balance: string }[];
      settlement: { assetCode: string; balance: string }[];
    };
  }

  const settlementOf = (r: Awaited<ReturnType<typeof report>>, asset: string) =>
    BigInt(r.settlement.find((s) => s.assetCode === asset)?.balance ?? '0');

  const claimed = async (node: DaemonProcess, peer: string, direction: string) =>
    (
      (await node.getJson('/admin/channels')).body as {
        channels: { peerId: string; direction: string; claimed: string }[];
      }
    ).channels.find((ch) => ch.peerId === peer && ch.direction === direction)?.claimed;

  it('pays A → C, and every leg settles and agrees', async () => {
    // The first payments make both payers open their channels (on chain); the credit limits carry the
    // traffic meanwhile.
    for (let i = 0; i < 40; i++) {
      if (i === 3) {
        await eventually(
          async () =>
            (await claimed(a, 'b', 'outgoing')) !== undefined &&
            (await claimed(b, 'c', 'outgoing')) !== undefined,
          30_000,
        );
      }
      const answer = await sender.sendIlp(
        encodePrepare({
          amount: 10_000n, // ETH units; B forwards 10,000 × 2000 / 0.5 = 40,000,000 XRP units
          expiresAt: new Date(Date.now() + 20_000),
          executionCondition: condition,
          destination: 'test.c.receiver.invoice',
          data: Buffer.alloc(0),
        }),
      );
      if (answer[0] !== 13) {
        const reject = decodeReject(answer);
        throw new Error(`packet ${i} rejected: ${reject.code} ${reject.triggeredBy} ${reject.message}`);
      }
    }
    expect(received).toBe(40n * 40_000_000n);

    // Settled: each pair holds the same best claim (A's EVM claims at B, B's XRPL claims at C), and
    // what each payer booked is what its payee credited.
    await eventually(async () => {
      const ab = await claimed(a, 'b', 'outgoing');
      const bc = await claimed(b, 'c', 'outgoing');
      const [ra, rb, rc] = await Promise.all([report(a), report(b), report(c)]);
      return (
        ab !== undefined &&
        bc !== undefined &&
        ab === (await claimed(b, 'a', 'incoming')) &&
        bc === (await claimed(c, 'b', 'incoming')) &&
        settlementOf(ra, 'ETH') === -settlementOf(rb, 'ETH') &&
        settlementOf(rb, 'XRP') === -settlementOf(rc, 'XRP')
      );
    }, 30_000);

    // B's books balance in each asset: ETH (owed by A, settled by A's claims) and XRP (owed to C, paid).
    const books = await report(b);
    for (const asset of ['ETH', 'XRP']) {
      const sum = [
        ...books.balances.filter((x) => x.assetCode === asset),
        ...books.liquidity.filter((x) => x.assetCode === asset),
        ...books.settlement.filter((x) => x.assetCode === asset),
      ].reduce((total, x) => total + BigInt(x.balance), 0n);
      expect(sum).toBe(0n);
    }
    expect(settlementOf(books, 'ETH')).toBeGreaterThan(0n); // B was paid in ETH
    expect(settlementOf(books, 'XRP')).toBeLessThan(0n); // B paid in XRP
    expect(settlementOf(books, 'ETH')).toBe(-settlementOf(await report(a), 'ETH'));
    expect(settlementOf(books, 'XRP')).toBe(-settlementOf(await report(c), 'XRP'));
    // B's channel claims carry exactly what its ledger booked: wei at 10^9 per unit, drops at 10^-3.
    expect(BigInt((await claimed(b, 'a', 'incoming')) ?? '0')).toBe(
      settlementOf(books, 'ETH') * 1_000_000_000n,
    );
    expect(BigInt((await claimed(b, 'c', 'outgoing')) ?? '0') * 1000n).toBe(-settlementOf(books, 'XRP'));
  });
});
