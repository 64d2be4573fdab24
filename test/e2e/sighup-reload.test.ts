import { readFileSync, writeFileSync } from 'node:fs';
import { decodeReject, encodePrepare } from '@ilpd/codec';
import { parse, stringify } from 'yaml';
import { BtpRequestError, connectBtpPeer, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess, runCliAsync } from '../helpers/daemon-process';

/**
 * SIGHUP (and `ilpd reload`) re-read the YAML file and apply what changed, the same way the admin API
 * does; a broken file changes nothing and the log says why, naming each bad key.
 */
const TOKEN = 'e2e-admin-token-0123456789';

describe('SIGHUP and ilpd reload (e2e)', () => {
  let daemon: DaemonProcess;
  const peers: BtpPeer[] = [];

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      address: 'test.hup',
      peers: [childPeer('alice', 'alice-secret')],
      adminToken: TOKEN,
    });
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await daemon.stop();
    await daemon.dispose();
  });

  /** The config file as a document, changed by `edit` and written back. */
  function editFile(
    edit: (doc: Record<string, unknown> & { peers: Record<string, unknown>[] }) => void,
  ): void {
    const doc = parse(readFileSync(daemon.configPath, 'utf8')) as Record<string, unknown> & {
      peers: Record<string, unknown>[];
    };
    edit(doc);
    writeFileSync(daemon.configPath, stringify(doc));
  }

  async function peerIds(): Promise<string[]> {
    const { body } = await daemon.getJson('/admin/peers');
    return (body as { peers: { id: string }[] }).peers.map((p) => p.id);
  }

  /** The first config-change log line after the first `after` lines. */
  async function changeLogAfter(after: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = daemon
        .logs()
        .slice(after)
        .find((l) => typeof l.msg === 'string' && l.msg.startsWith('config change'));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no config change logged:\n${daemon.logText()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('applies a good file on SIGHUP: a new peer can connect, a changed limit holds', async () => {
    editFile((doc) => {
      doc.peers.push(childPeer('carol', 'carol-secret'));
      doc.peers[0].maxPacketAmount = '5000';
    });
    const mark = daemon.logs().length;
    daemon.signal('SIGHUP');
    const log = await changeLogAfter(mark);
    expect(log).toMatchObject({
      msg: 'config change applied: reload the config file',
      change: { source: 'signal', actor: 'SIGHUP', peers: { added: ['carol'], updated: ['alice'] } },
    });
    peers.push(await connectBtpPeer(daemon.btpUrl, { username: 'carol', token: 'carol-secret' }));
    expect(await peerIds()).toEqual(['alice', 'carol']);
    const alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
    peers.push(alice);
    const tooLarge = encodePrepare({
      amount: 5001n,
      expiresAt: new Date(Date.now() + 10_000),
      executionCondition: Buffer.alloc(32, 1),
      destination: 'test.hup.carol.x',
      data: Buffer.alloc(0),
    });
    expect(decodeReject(await alice.sendIlp(tooLarge)).code).toBe('F08');
  });

  it('changes nothing on SIGHUP with a broken file, and logs each bad key with its fix', async () => {
    const good = readFileSync(daemon.configPath, 'utf8');
    editFile((doc) => {
      doc.peers.push(childPeer('dave', 'dave-secret'));
      doc.peers[0].maxPacketAmount = '-1';
      doc.htpp = { port: 1 };
    });
    const mark = daemon.logs().length;
    daemon.signal('SIGHUP');
    const log = await changeLogAfter(mark);
    expect(log.msg).toBe('config change refused: reload the config file');
    expect((log.err as { problems: string[] }).problems).toEqual([
      expect.stringMatching(/^htpp: unknown key \(did you mean http\?\); allowed keys: /),
      'peers[0] (alice).maxPacketAmount: expected a decimal string (e.g. "1000000"), got "-1"',
    ]);
    await expect(
      connectBtpPeer(daemon.btpUrl, { username: 'dave', token: 'dave-secret' }),
    ).rejects.toBeInstanceOf(BtpRequestError);
    expect(await peerIds()).toEqual(['alice', 'carol']);
    expect((await daemon.getJson('/metrics')).body).toMatch(/^ilpd_config_last_change_successful 0$/m);
    expect(daemon.isRunning).toBe(true);
    writeFileSync(daemon.configPath, good);
  });

  it('applies the file with `ilpd reload` and prints what changed', async () => {
    editFile((doc) => {
      doc.peers = doc.peers.filter((p) => p.id !== 'carol');
    });
    const reload = await runCliAsync(['reload', '--config', daemon.configPath]);
    expect(reload.stderr).toBe('');
    expect(reload.code).toBe(0);
    expect(JSON.parse(reload.stdout)).toMatchObject({
      changed: true,
      what: 'reload the config file',
      peers: { removed: ['carol'] },
      drained: true,
    });
    expect(await peerIds()).toEqual(['alice']);
    expect((await daemon.getJson('/metrics')).body).toMatch(/^ilpd_config_last_change_successful 1$/m);
  });
});
