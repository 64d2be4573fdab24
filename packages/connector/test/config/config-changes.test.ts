import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigChanges, type ChangeOrigin } from '../../src/config/config-changes';
import type { ConfigChange } from '../../src/config/config-diff';
import { loadConfigFile } from '../../src/config/load';
import type { DaemonConfig } from '../../src/config/types';

const FILE = `# ilpd for the config-change tests
address: test.changes # our address

peers:
  # the first child
  - id: alice
    relation: child
    btp: { role: server, authToken: alice-secret } # flow style stays
    assetCode: USD
    assetScale: 9
    balance:
      maximum: "1000"
`;

const admin: ChangeOrigin = { source: 'admin', actor: 'ops from 127.0.0.1' };

describe('ConfigChanges', () => {
  let dir: string;
  let path: string;
  let running: DaemonConfig;
  let applied: { next: DaemonConfig; change: ConfigChange }[];
  let changes: ConfigChanges;
  let env: NodeJS.ProcessEnv;

  function setUp(text = FILE): void {
    writeFileSync(path, text, { mode: 0o640 });
    const loaded = loadConfigFile(path, env);
    running = loaded.config;
    applied = [];
    changes = new ConfigChanges({
      path: loaded.path,
      text: loaded.text,
      env,
      current: () => running,
      apply: async (next, change) => {
        applied.push({ next, change });
        running = next;
        return { drained: true };
      },
      logger: pino({ level: 'silent' }),
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ilpd-changes-'));
    path = join(dir, 'ilpd.yaml');
    env = {};
    setUp();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const bob = {
    id: 'bob',
    relation: 'child',
    btp: { role: 'server', authToken: 'bob-secret' },
    assetCode: 'USD',
    assetScale: 9,
  };

  it('adds a peer to the file, keeping its comments and layout, then applies it', async () => {
    const result = await changes.editPeers({ kind: 'add', peer: bob }, admin);
    expect(result).toMatchObject({ changed: true, what: 'add peer bob', peers: { added: ['bob'] } });
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith(FILE)).toBe(true);
    expect(text).toContain('  - id: bob\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(applied.map((a) => a.next.peers.map((p) => p.id))).toEqual([['alice', 'bob']]);
    // What the daemon would load at its next start is what it now runs.
    expect(loadConfigFile(path, env).config.peers).toEqual(running.peers);
  });

  it('updates with a merge patch: objects merge, null deletes, untouched keys keep their comments', async () => {
    await changes.editPeers(
      {
        kind: 'update',
        peerId: 'alice',
        patch: {
          balance: { minimum: '-500' },
          maxPacketAmount: '100',
          rateLimit: { packetsPerSecond: 1, burst: 1 },
        },
      },
      admin,
    );
    await changes.editPeers({ kind: 'update', peerId: 'alice', patch: { rateLimit: null } }, admin);
    const alice = running.peers[0];
    expect(alice.balance).toEqual({ minimum: -500n, maximum: 1000n });
    expect(alice.maxPacketAmount).toBe(100n);
    expect(alice.rateLimit).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toContain(
      'btp: { role: server, authToken: alice-secret } # flow style stays',
    );
    expect(applied.map((a) => a.change.peers.updated.map((p) => p.id))).toEqual([['alice'], ['alice']]);
  });

  it('disables and removes a peer through the same file', async () => {
    await changes.editPeers({ kind: 'update', peerId: 'alice', patch: { enabled: false } }, admin);
    expect(running.peers[0].enabled).toBe(false);
    await changes.editPeers({ kind: 'remove', peerId: 'alice' }, admin);
    expect(running.peers).toEqual([]);
    expect(readFileSync(path, 'utf8')).not.toContain('alice');
  });

  it('refuses an invalid change with the key named (with the peer id), and changes nothing', async () => {
    await expect(
      changes.editPeers({ kind: 'update', peerId: 'alice', patch: { balance: { maximum: '-1' } } }, admin),
    ).rejects.toMatchObject({
      code: 'ILPD_ERR_CONFIG',
      problems: ['peers[0] (alice).balance.maximum: must be >= 0 (the most the peer may owe us), got "-1"'],
    });
    expect(readFileSync(path, 'utf8')).toBe(FILE);
    expect(applied).toEqual([]);
  });

  it('refuses a valid file the running daemon cannot take (an asset change), writing nothing', async () => {
    setUp(`${FILE}fx:\n  rates: { USD: 1, EUR: 1.1 }\n`);
    const before = readFileSync(path, 'utf8');
    await expect(
      changes.editPeers({ kind: 'update', peerId: 'alice', patch: { assetCode: 'EUR' } }, admin),
    ).rejects.toMatchObject({ code: 'ILPD_ERR_CONFIG_CHANGE_REFUSED' });
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(applied).toEqual([]);
  });

  it('answers unknown and duplicate ids and id changes with their own codes', async () => {
    await expect(changes.editPeers({ kind: 'remove', peerId: 'zed' }, admin)).rejects.toMatchObject({
      code: 'ILPD_ERR_ADMIN_NOT_FOUND',
    });
    await expect(
      changes.editPeers({ kind: 'add', peer: { ...bob, id: 'alice' } }, admin),
    ).rejects.toMatchObject({ code: 'ILPD_ERR_ADMIN_CONFLICT' });
    await expect(
      changes.editPeers({ kind: 'update', peerId: 'alice', patch: { id: 'alicia' } }, admin),
    ).rejects.toMatchObject({
      code: 'ILPD_ERR_ADMIN_BAD_REQUEST',
      message: expect.stringContaining('peers[0].id'),
    });
  });

  it('refuses to change a key the environment sets: the change would not survive a restart', async () => {
    env.ILPD_PEERS__ALICE__BTP__AUTH_TOKEN = 'from-env-secret';
    setUp();
    await expect(
      changes.editPeers({ kind: 'update', peerId: 'alice', patch: { btp: { authToken: 'new' } } }, admin),
    ).rejects.toMatchObject({
      code: 'ILPD_ERR_ADMIN_BAD_REQUEST',
      message: expect.stringContaining('ILPD_PEERS__ALICE__BTP__AUTH_TOKEN'),
    });
    await changes.editPeers({ kind: 'update', peerId: 'alice', patch: { maxPacketAmount: '7' } }, admin);
    expect(running.peers[0].btp).toMatchObject({ authToken: 'from-env-secret' });
  });

  it('refuses to edit a file changed on disk since it was loaded, until it is reloaded', async () => {
    writeFileSync(path, FILE.replace('"1000"', '"2000"'));
    await expect(changes.editPeers({ kind: 'add', peer: bob }, admin)).rejects.toMatchObject({
      code: 'ILPD_ERR_CONFIG_FILE_CHANGED',
    });
    const reloaded = await changes.reload({ source: 'signal', actor: 'SIGHUP' });
    expect(reloaded.peers.updated).toEqual(['alice']);
    expect(running.peers[0].balance.maximum).toBe(2000n);
    await changes.editPeers({ kind: 'add', peer: bob }, admin);
    expect(running.peers.map((p) => p.id)).toEqual(['alice', 'bob']);
  });

  it('reloads: a broken file changes nothing and says why; an unchanged one applies nothing', async () => {
    writeFileSync(path, `${FILE}  - id: [broken\n`);
    await expect(changes.reload({ source: 'signal', actor: 'SIGHUP' })).rejects.toMatchObject({
      code: 'ILPD_ERR_CONFIG',
      problems: [expect.stringMatching(/^YAML syntax error at line \d+/)],
    });
    writeFileSync(path, FILE);
    const unchanged = await changes.reload({ source: 'signal', actor: 'SIGHUP' });
    expect(unchanged.changed).toBe(false);
    expect(applied).toEqual([]);
  });

  it('writes through a symlink to the file it points at, keeping the link', async () => {
    const real = join(dir, 'real.yaml');
    writeFileSync(real, FILE);
    rmSync(path);
    symlinkSync(real, path);
    setUp(FILE); // writes through the link
    await changes.editPeers({ kind: 'add', peer: bob }, admin);
    expect(readFileSync(real, 'utf8')).toContain('id: bob');
    expect(readFileSync(path, 'utf8')).toContain('id: bob');
  });

  it('says how to fix a file it cannot write, and applies nothing', async () => {
    // A name at the length limit: the file exists, but the temp file beside it cannot be created
    // (ENAMETOOLONG), which fails for root too, unlike permissions.
    path = join(dir, `${'x'.repeat(245)}.yaml`);
    setUp();
    await expect(changes.editPeers({ kind: 'add', peer: bob }, admin)).rejects.toMatchObject({
      code: 'ILPD_ERR_CONFIG_WRITE_FAILED',
      message: expect.stringContaining('make the file and its directory writable by ilpd'),
    });
    expect(readFileSync(path, 'utf8')).toBe(FILE);
    expect(applied).toEqual([]);
  });

  it('runs changes one at a time, in order', async () => {
    const order: string[] = [];
    const first = changes.editPeers({ kind: 'add', peer: bob }, admin).then(() => order.push('add'));
    const second = changes
      .editPeers({ kind: 'update', peerId: 'bob', patch: { enabled: false } }, admin)
      .then(() => order.push('disable'));
    await Promise.all([first, second]);
    expect(order).toEqual(['add', 'disable']);
    expect(running.peers.find((p) => p.id === 'bob')?.enabled).toBe(false);
  });
});
