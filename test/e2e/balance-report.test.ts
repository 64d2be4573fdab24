import { createHash } from 'node:crypto';
import { decodeFulfill, encodePrepare } from '@ilpd/codec';
import { connectBtpPeer, fulfillPacket } from '../helpers/btp-peer';
import { childPeer, DaemonProcess, runCli } from '../helpers/daemon-process';

interface ReportJson {
  backend: string;
  balances: { peerId: string; assetCode: string; balance: string }[];
  liquidity: { assetCode: string; balance: string }[];
  settlement: { assetCode: string; balance: string }[];
}

/**
 * The operator sees one balance report, live from the daemon (GET /admin/balances) and from the store
 * after a stop (`ilpd ledger balances --json`): peers plus the connector's own liquidity accounts, so
 * the numbers add up to zero per asset. A spread makes the liquidity account differ from any peer's.
 */
describe('balance report: /admin/balances and `ilpd ledger balances` (e2e)', () => {
  it('shows peer and liquidity accounts, summing to zero per asset, the same in both', async () => {
    const daemon = await DaemonProcess.start({
      address: 'test.report',
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0.01 } },
    });
    try {
      const fulfillment = Buffer.alloc(32, 5);
      const bob = await connectBtpPeer(
        daemon.btpUrl,
        { username: 'bob', token: 'bob-secret' },
        { onPrepare: () => fulfillPacket(fulfillment) },
      );
      const alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
      const answer = await alice.sendIlp(
        encodePrepare({
          amount: 100_000n,
          expiresAt: new Date(Date.now() + 10_000),
          executionCondition: createHash('sha256').update(fulfillment).digest(),
          destination: 'test.report.bob.x',
          data: Buffer.alloc(0),
        }),
      );
      expect(decodeFulfill(answer).fulfillment).toEqual(fulfillment);
      await Promise.all([alice.close(), bob.close()]);

      const live = (await daemon.getJson('/admin/balances')).body as ReportJson;
      expect(live).toEqual({
        backend: 'embedded',
        balances: [
          expect.objectContaining({ peerId: 'alice', assetCode: 'USD', balance: '100000' }),
          expect.objectContaining({ peerId: 'bob', assetCode: 'USD', balance: '-99000' }),
        ],
        liquidity: [{ assetCode: 'USD', assetScale: 9, balance: '-1000' }],
        settlement: [{ assetCode: 'USD', assetScale: 9, balance: '0' }],
      });
      const sum = [...live.balances, ...live.liquidity, ...live.settlement].reduce(
        (s, b) => s + BigInt(b.balance),
        0n,
      );
      expect(sum).toBe(0n);

      expect((await daemon.stop()).code).toBe(0);
      const cli = runCli(['ledger', 'balances', '--config', daemon.configPath, '--json']);
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual(live);
    } finally {
      await daemon.dispose();
    }
  });
});
