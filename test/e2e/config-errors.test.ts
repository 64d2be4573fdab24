import { childPeer, runCli, writeTempConfig } from '../helpers/daemon-process';

const valid = { address: 'test.e2e', peers: [childPeer('alice', 'alice-secret')] };

describe('config errors (e2e)', () => {
  it('refuses to start with exit code 2 and a message naming the key, the value and the fix', () => {
    const path = writeTempConfig({
      ...valid,
      peers: [childPeer('alice', 'alice-secret', { maxPacketAmount: -5 })],
    });
    const result = runCli(['start', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`invalid configuration in ${path} (1 problem):`);
    expect(result.stderr).toContain(
      'peers[0].maxPacketAmount: expected a decimal string (e.g. "1000000"), got -5',
    );
    expect(result.stdout).toBe('');
  });

  it('rejects unknown keys', () => {
    const result = runCli(['start', '--config', writeTempConfig({ ...valid, btp: { prot: 1 } })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/btp\.prot: unknown key \(did you mean port\?\)/);
  });

  it('names the env variable that set a bad value', () => {
    const result = runCli(['start', '--config', writeTempConfig(valid)], { ILPD_LEDGER__BATCH_SIZE: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'ledger.batchSize: expected an integer between 1 and 8190, got 0 (set by ILPD_LEDGER__BATCH_SIZE)',
    );
  });

  it('reports a missing file', () => {
    const result = runCli(['start', '--config', '/nonexistent/ilpd.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read /nonexistent/ilpd.yaml: no such file');
  });

  it('checks a config without starting: exit 0 with a summary, exit 2 with the problems', () => {
    const ok = runCli(['config', 'check', '--config', writeTempConfig(valid)]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^config OK: .* address test\.e2e, 1 peer\(s\), ledger embedded/);
    const bad = runCli(['config', 'check', '--config', writeTempConfig({ peers: [] })]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('address: required unless a peer has relation "parent"');
  });

  it('prints the effective config with secrets redacted', () => {
    const ok = runCli(['config', 'check', '--print', '--config', writeTempConfig(valid)], {
      ILPD_HTTP__PORT: '9999',
    });
    const printed = JSON.parse(ok.stdout.slice(ok.stdout.indexOf('\n') + 1)) as {
      http: { port: number };
      peers: { btp: { authToken: string } }[];
    };
    expect(printed.http.port).toBe(9999);
    expect(printed.peers[0].btp.authToken).toBe('<redacted>');
    expect(ok.stdout).not.toContain('alice-secret');
  });

  it('answers bad usage with exit code 2', () => {
    expect(runCli(['start']).code).toBe(2);
    expect(runCli(['frobnicate']).code).toBe(2);
    expect(runCli(['--help']).code).toBe(0);
  });
});
