import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/load';

const KEY = `0x${'ab'.repeat(32)}`;

/** Two ETH peers settling over EVM; tests change one thing at a time. */
function settlingDoc(): Record<string, unknown> {
  return {
    address: 'test.node',
    settlement: {
      evm: {
        rpcUrls: ['http://127.0.0.1:8545', 'http://127.0.0.1:8546'],
        chainId: 31337,
        contractAddress: `0x${'12'.repeat(20)}`,
      },
    },
    peers: [
      {
        id: 'bob',
        relation: 'peer',
        btp: { role: 'server', authToken: 'bob-secret' },
        assetCode: 'ETH',
        assetScale: 9,
        balance: { minimum: '-100000', maximum: '100000' },
        settlement: { engine: 'evm', threshold: '50000', autoOpen: { deposit: '1000000' } },
      },
    ],
  };
}

function parse(doc: unknown, env: NodeJS.ProcessEnv = { ILPD_SETTLEMENT__EVM__PRIVATE_KEY: KEY }) {
  return parseConfig(stringify(doc), env, '/etc/ilpd');
}

function problemsOf(doc: unknown, env?: NodeJS.ProcessEnv): readonly string[] {
  try {
    parse(doc, env);
  } catch (err) {
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

function withSettlement(changes: Record<string, unknown>): Record<string, unknown> {
  const doc = settlingDoc();
  const peer = (doc.peers as Record<string, unknown>[])[0];
  peer.settlement = { ...(peer.settlement as object), ...changes };
  return doc;
}

describe('settlement config', () => {
  it('fills the defaults and reads the key from the environment', () => {
    const config = parse(settlingDoc());
    expect(config.settlement).toMatchObject({ workers: 1, claimTimeoutMs: 10_000, watchIntervalMs: 10_000 });
    expect(config.settlement.evm).toMatchObject({
      rpcUrls: ['http://127.0.0.1:8545', 'http://127.0.0.1:8546'],
      privateKey: KEY,
      confirmations: 1,
      poolSize: 2,
      breakerFailures: 3,
    });
    expect(config.peers[0].settlement).toEqual({
      engine: 'evm',
      threshold: 50_000n,
      settleTo: 0n,
      autoOpen: { deposit: 1_000_000n },
    });
  });

  it('takes the endpoint list from the environment as a comma-separated list', () => {
    const config = parse(settlingDoc(), {
      ILPD_SETTLEMENT__EVM__PRIVATE_KEY: KEY,
      ILPD_SETTLEMENT__EVM__RPC_URLS: 'http://10.0.0.1:8545, http://10.0.0.2:8545',
    });
    expect(config.settlement.evm?.rpcUrls).toEqual(['http://10.0.0.1:8545', 'http://10.0.0.2:8545']);
  });

  it('needs exactly one source for the key', () => {
    expect(problemsOf(settlingDoc(), {})).toEqual([
      expect.stringMatching(/^settlement\.evm\.privateKey: give exactly one of/),
    ]);
    const both = settlingDoc();
    (both.settlement as { evm: Record<string, unknown> }).evm.privateKeyFile = 'evm.key';
    expect(problemsOf(both)).toEqual([
      expect.stringMatching(/^settlement\.evm\.privateKey: give exactly one/),
    ]);
  });

  it('never echoes a bad key back', () => {
    const problems = problemsOf(settlingDoc(), { ILPD_SETTLEMENT__EVM__PRIVATE_KEY: 'not-a-key-but-secret' });
    expect(problems.join('\n')).not.toContain('not-a-key-but-secret');
    expect(problems[0]).toMatch(/^settlement\.evm\.privateKey: expected a 32-byte hex private key/);
  });

  it('names the chain section a peer needs, and the asset it must use', () => {
    const doc = withSettlement({ engine: 'xrpl' });
    expect(problemsOf(doc)).toEqual([
      'peers[0].settlement.engine: xrpl needs settlement.xrpl (its endpoints and our key), which is not set',
      'peers[0].assetCode: must be XRP to settle over xrpl (claims pay in XRP), got "ETH"',
    ]);
  });

  it('refuses a threshold the balance limit would never let us reach, and settleTo above it', () => {
    expect(problemsOf(withSettlement({ threshold: '200000', settleTo: '300000' }))).toEqual([
      'peers[0].settlement.settleTo: must be at most threshold (200000), got "300000"',
      expect.stringMatching(
        /^peers\[0\]\.settlement\.threshold: must be at most what we may owe the peer \(-balance\.minimum = 100000\)/,
      ),
    ]);
  });

  it('checks the peer address against the chain, and rejects unknown keys', () => {
    expect(problemsOf(withSettlement({ peerAddress: 'rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe' }))).toEqual([
      'peers[0].settlement.peerAddress: expected a 0x-prefixed 20-byte address, got "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe"',
    ]);
    expect(problemsOf(withSettlement({ treshold: '5' }))[0]).toMatch(
      /^peers\[0\]\.settlement\.treshold: unknown key/,
    );
  });
});
