import { stringify } from 'yaml';
import { envSegment } from '../../src/config/env';
import { type ConfigError, parseConfig } from '../../src/config/load';

const doc = {
  address: 'test.node',
  routes: [{ prefix: 'g.x', peer: 'alice' }],
  peers: [
    {
      id: 'alice',
      relation: 'child',
      btp: { role: 'server', authToken: 'from-yaml' },
      assetCode: 'USD',
      assetScale: 9,
    },
    {
      id: 'up-stream',
      relation: 'parent',
      btp: { role: 'client', url: 'btp+ws://up:7768' },
      assetCode: 'USD',
      assetScale: 9,
    },
  ],
};
const yaml = stringify(doc);

function problemsWith(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    parseConfig(yaml, env, '/x');
  } catch (err) {
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('env overrides', () => {
  it('maps camelCase keys and ids to SNAKE_CASE segments', () => {
    expect(envSegment('maxPayloadBytes')).toBe('MAX_PAYLOAD_BYTES');
    expect(envSegment('up-stream')).toBe('UP_STREAM');
    expect(envSegment('authToken')).toBe('AUTH_TOKEN');
  });

  it('overrides scalars with values parsed by the key type', () => {
    const config = parseConfig(
      yaml,
      {
        ILPD_HTTP__PORT: '7781',
        ILPD_LEDGER__BATCH_SIZE: '200',
        ILPD_ROUTING__BROADCAST: 'false',
        ILPD_FX__SPREAD: '0.01',
        ILPD_LOG__LEVEL: 'debug',
        ILPD_ADDRESS: 'test.other',
      },
      '/x',
    );
    expect(config.http.port).toBe(7781);
    expect(config.ledger.batchSize).toBe(200);
    expect(config.routing.broadcast).toBe(false);
    expect(config.fx.spread).toBe(0.01);
    expect(config.log.level).toBe('debug');
    expect(config.address).toBe('test.other');
  });

  it('addresses peers by id and other lists by index', () => {
    const config = parseConfig(
      yaml,
      {
        ILPD_PEERS__ALICE__BTP__AUTH_TOKEN: 'from-env',
        ILPD_PEERS__UP_STREAM__BTP__AUTH_TOKEN: 'parent-token',
        ILPD_PEERS__ALICE__MAX_PACKET_AMOUNT: '5000',
        ILPD_PEERS__ALICE__BALANCE__MAXIMUM: '100',
        ILPD_ROUTES__0__PREFIX: 'g.y',
      },
      '/x',
    );
    expect(config.peers[0].btp).toEqual({ role: 'server', authToken: 'from-env', maxConnections: 4 });
    expect(config.peers[1].btp).toMatchObject({ role: 'client', authToken: 'parent-token' });
    expect(config.peers[0].maxPacketAmount).toBe(5000n);
    expect(config.peers[0].balance).toEqual({ maximum: 100n });
    expect(config.routes[0].prefix).toBe('g.y');
  });

  it('sets records and comma-separated lists', () => {
    const config = parseConfig(
      yaml,
      { ILPD_FX__RATES__EUR: '1.08', ILPD_LEDGER__TIGERBEETLE__ADDRESSES: '3001, 3002,3003' },
      '/x',
    );
    expect(config.fx.rates).toEqual({ EUR: 1.08 });
    expect(config.ledger.tigerbeetle.addresses).toEqual(['3001', '3002', '3003']);
  });

  it('validates env values like YAML values and names the variable', () => {
    expect(problemsWith({ ILPD_HTTP__PORT: 'eighty' })).toEqual([
      'http.port: expected an integer between 0 and 65535, got "eighty" (set by ILPD_HTTP__PORT)',
    ]);
    expect(problemsWith({ ILPD_PEERS__ALICE__MAX_PACKET_AMOUNT: '-5' })).toEqual([
      'peers[0].maxPacketAmount: expected a decimal string (e.g. "1000000"), got "-5" (set by ILPD_PEERS__ALICE__MAX_PACKET_AMOUNT)',
    ]);
  });

  it('names env variables that match no key', () => {
    expect(problemsWith({ ILPD_HTTP__PROT: '1' })).toEqual([
      'ILPD_HTTP__PROT: http has no key PROT (keys: host, port)',
    ]);
    expect(problemsWith({ ILPD_PEERS__CAROL__ASSET_SCALE: '2' })).toEqual([
      'ILPD_PEERS__CAROL__ASSET_SCALE: peers has no item with an id matching CAROL',
    ]);
    expect(problemsWith({ ILPD_LEDGER: 'x' })).toEqual([
      'ILPD_LEDGER: ledger is a section, not a value; set one of its keys (ILPD_LEDGER__…)',
    ]);
    expect(problemsWith({ ILPD_HTTP_PORT: '1' })).toEqual([
      'ILPD_HTTP_PORT: nested keys are separated by two underscores (e.g. ILPD_HTTP__…)',
    ]);
  });

  it('ignores empty values and ILPD_ variables that are not config keys', () => {
    const config = parseConfig(
      yaml,
      { ILPD_HTTP__PORT: '', ILPD_TIGERBEETLE_ADDRESSES: '3000', PATH: '/bin' },
      '/x',
    );
    expect(config.http.port).toBe(7780);
  });
});
