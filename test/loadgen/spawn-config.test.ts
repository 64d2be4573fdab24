/**
 * The config `ilpd-loadgen --spawn-daemon` writes must pass ilpd's own loader (schema, unknown keys,
 * amounts) and mean what the load run needs: no rate limits, no spread, both peers as children.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/connector/src/config/load';
import { ilpdLoadConfig } from '../../packages/loadgen/src/daemon/targets';

describe('spawned ilpd config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'loadgen-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads with the daemon schema and has rate limits off, no spread and raised balance limits', () => {
    const doc = ilpdLoadConfig({
      btpPort: 17_001,
      httpPort: 17_002,
      ledgerPath: join(dir, 'ledger.sqlite'),
      sender: { username: 'alice', token: 'alice-secret' },
      receiver: { username: 'bob', token: 'bob-secret' },
    });
    const path = join(dir, 'ilpd.yaml');
    writeFileSync(path, `# generated\n${JSON.stringify(doc, null, 2)}\n`);
    const config = loadConfig(path, {});
    expect(config.btp.port).toBe(17_001);
    expect(config.http.port).toBe(17_002);
    expect(config.fx.spread).toBe(0);
    expect(config.ledger.backend).toBe('embedded');
    expect(config.ledger.embedded.path).toBe(join(dir, 'ledger.sqlite'));
    expect(config.peers.map((p) => [p.id, p.relation, p.btp.role])).toEqual([
      ['alice', 'child', 'server'],
      ['bob', 'child', 'server'],
    ]);
    for (const peer of config.peers) {
      expect(peer.rateLimit).toBeUndefined();
      expect(peer.throughput).toBeUndefined();
      expect(peer.balance.maximum).toBe(10n ** 18n);
      expect(peer.balance.minimum).toBe(-(10n ** 18n));
    }
  });
});
