import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load';

/** A minimal valid document; tests change one thing at a time. */
function baseDoc(): Record<string, unknown> {
  return {
    address: 'test.node',
    peers: [
      {
        id: 'alice',
        relation: 'child',
        btp: { role: 'server', authToken: 'alice-secret' },
        assetCode: 'USD',
        assetScale: 9,
      },
    ],
  };
}

function problemsOf(doc: unknown, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    parseConfig(typeof doc === 'string' ? doc : stringify(doc), env, '/etc/ilpd');
  } catch (err) {
    expect((err as ConfigError).code).toBe('ILPD_ERR_CONFIG');
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

function withPeer(changes: Record<string, unknown>): Record<string, unknown> {
  const doc = baseDoc();
  const peers = doc.peers as Record<string, unknown>[];
  peers[0] = { ...peers[0], ...changes };
  return doc;
}

describe('parseConfig', () => {
  it('fills every default an operator leaves out', () => {
    const config = parseConfig(stringify(baseDoc()), {}, '/etc/ilpd');
    expect(config.btp).toEqual({
      host: '127.0.0.1',
      port: 7768,
      maxPayloadBytes: 1048576,
      authTimeoutMs: 5000,
      pingIntervalMs: 10000,
      requestTimeoutMs: 35000,
      maxOutputBufferBytes: 1048576,
      maxUnauthenticated: 256,
      maxUnauthenticatedPerSource: 16,
    });
    expect(config.engine.maxInFlightBytes).toBe(64 * 1024 * 1024);
    expect(config.log.warningIntervalMs).toBe(10_000);
    expect(config.routing.maxRoutesPerPeer).toBe(1000);
    expect(config.peers[0].btp).toMatchObject({ maxConnections: 4 });
    expect(config.peers[0].budget).toEqual({
      inFlightPackets: 1000,
      inFlightBytes: 32 * 1024 * 1024,
      heldPackets: 500,
      heldBytes: 16 * 1024 * 1024,
    });
    expect(config.packet).toEqual({ minMessageWindowMs: 1000, maxHoldTimeMs: 30000 });
    expect(config.ledger.batchSize).toBe(100);
    expect(config.ledger.tigerbeetle.clusterId).toBe(0n);
    expect(config.telemetry).toEqual({ bufferSize: 1000, flushIntervalMs: 100 });
    expect(config.routes).toEqual([]);
    expect(config.fx).toEqual({ spread: 0.002, rates: {} });
    expect(config.peers[0].balance).toEqual({});
    expect(config.configDir).toBe('/etc/ilpd');
  });

  it('turns amounts into exact bigints, beyond 2^53', () => {
    const config = parseConfig(
      stringify(
        withPeer({ maxPacketAmount: '18446744073709551615', balance: { minimum: '-5', maximum: '900' } }),
      ),
      {},
      '/x',
    );
    expect(config.peers[0].maxPacketAmount).toBe(18446744073709551615n);
    expect(config.peers[0].balance).toEqual({ minimum: -5n, maximum: 900n });
  });

  it('defaults route exchange on for peers and parents, off for children', () => {
    const doc = baseDoc();
    (doc.peers as unknown[]).push(
      {
        id: 'p',
        relation: 'peer',
        btp: { role: 'server', authToken: 't2' },
        assetCode: 'USD',
        assetScale: 9,
      },
      {
        id: 'q',
        relation: 'peer',
        btp: { role: 'server', authToken: 't3' },
        assetCode: 'USD',
        assetScale: 9,
        sendRoutes: false,
      },
    );
    const peers = parseConfig(stringify(doc), {}, '/x').peers;
    expect(peers.map((p) => [p.id, p.sendRoutes, p.receiveRoutes])).toEqual([
      ['alice', false, false],
      ['p', true, true],
      ['q', false, true],
    ]);
  });

  it('deep-freezes the result', () => {
    const config = parseConfig(stringify(baseDoc()), {}, '/x');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.peers[0].btp)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('fills client-role defaults and keeps the URL', () => {
    const config = parseConfig(
      stringify(withPeer({ relation: 'parent', btp: { role: 'client', url: 'btp+ws://up.example:7768' } })),
      {},
      '/x',
    );
    expect(config.peers[0].btp).toEqual({
      role: 'client',
      url: 'btp+ws://up.example:7768',
      reconnectInitialMs: 500,
      reconnectMaxMs: 30000,
    });
  });
});

describe('parseConfig problems', () => {
  it('names the key, the bad value and what is allowed for an amount', () => {
    const doc = baseDoc();
    const peers = doc.peers as Record<string, unknown>[];
    peers.push(
      { ...peers[0], id: 'b', btp: { role: 'server', authToken: 'b' } },
      { ...peers[0], id: 'c', btp: { role: 'server', authToken: 'c' }, maxPacketAmount: -5 },
    );
    expect(problemsOf(doc)).toEqual([
      'peers[2].maxPacketAmount: expected a decimal string (e.g. "1000000"), got -5',
    ]);
  });

  it('rejects unknown keys everywhere, suggesting the likely key', () => {
    const doc = { ...withPeer({ maxPacketAmout: '5' }), htpp: {} };
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^htpp: unknown key \(did you mean http\?\); allowed keys: address, btp, http/,
    );
    expect(problems[1]).toMatch(
      /^peers\[0\]\.maxPacketAmout: unknown key \(did you mean maxPacketAmount\?\)/,
    );
  });

  it('reports every problem of the document at once, one line each', () => {
    const problems = problemsOf({ ...baseDoc(), http: { port: 70000 }, log: { level: 'loud' } });
    expect(problems).toEqual([
      'http.port: expected an integer between 0 and 65535, got 70000',
      'log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ]);
  });

  it('does not accept numbers written as strings for integer keys', () => {
    expect(problemsOf({ ...baseDoc(), btp: { port: '7768' } })).toEqual([
      'btp.port: expected an integer between 0 and 65535, got "7768"',
    ]);
  });

  it('never echoes a secret', () => {
    const [problem] = problemsOf(withPeer({ btp: { role: 'server', authToken: 12345 } }));
    expect(problem).toBe('peers[0].btp.authToken: expected a non-empty string, got a number');
  });

  it('names the missing discriminator value of btp', () => {
    expect(problemsOf(withPeer({ btp: { role: 'both' } }))).toEqual([
      'peers[0].btp.role: expected one of "server", "client", got "both"',
    ]);
  });

  it('requires a url for client-role peers', () => {
    expect(problemsOf(withPeer({ btp: { role: 'client' } }))).toEqual([
      'peers[0].btp.url: required: expected a URL like "btp+ws://peer.example:7768" (btp+ws, btp+wss, ws or wss)',
    ]);
  });

  it('requires the keys without defaults', () => {
    const problems = problemsOf({
      address: 'test.node',
      peers: [{ id: 'x', btp: { role: 'server', authToken: 't' } }],
    });
    expect(problems).toEqual([
      'peers[0].relation: required: expected one of "parent", "child", "peer"',
      'peers[0].assetCode: required: expected an asset code of 1 to 16 letters or digits (e.g. "USD")',
      'peers[0].assetScale: required: expected an integer between 0 and 255',
    ]);
  });

  it('rejects amounts beyond 64 bits', () => {
    expect(problemsOf(withPeer({ maxPacketAmount: '18446744073709551616' }))).toEqual([
      'peers[0].maxPacketAmount: expected a decimal string (e.g. "1000000") of at most 18446744073709551615 in magnitude, got "18446744073709551616"',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const [problem] = problemsOf('address: test.node\npeers: [\n');
    expect(problem).toMatch(/^YAML syntax error at line \d+, column \d+: /);
  });

  it('rejects duplicate YAML keys', () => {
    expect(problemsOf('address: test.a\naddress: test.b\n')[0]).toMatch(
      /YAML syntax error at line 2.*unique/,
    );
  });

  it('rejects a document that is not a mapping', () => {
    expect(problemsOf('- 1\n- 2\n')).toEqual(['expected a mapping, got a list of 2 items']);
  });
});

describe('cross-field rules', () => {
  it('rejects duplicate peer ids', () => {
    const doc = baseDoc();
    const peers = doc.peers as Record<string, unknown>[];
    peers.push({ ...peers[0], btp: { role: 'server', authToken: 'other' } });
    expect(problemsOf(doc)).toEqual(['peers[1].id: duplicate id "alice" (also peers[0].id)']);
  });

  it('rejects a static route to an unknown peer', () => {
    expect(problemsOf({ ...baseDoc(), routes: [{ prefix: 'g.x', peer: 'carol' }] })).toEqual([
      'routes[0].peer: no peer with id "carol" (peers: alice)',
    ]);
  });

  it('requires an address unless a parent assigns one', () => {
    const { address: _omitted, ...doc } = baseDoc();
    expect(problemsOf(doc)).toEqual([
      'address: required unless a peer has relation "parent" (which assigns our address over ILDCP)',
    ]);
    const withParent = withPeer({ relation: 'parent', btp: { role: 'client', url: 'btp+ws://p:1' } });
    delete withParent.address;
    expect(parseConfig(stringify(withParent), {}, '/x').address).toBeUndefined();
  });

  it('keeps balance.minimum <= 0 <= balance.maximum', () => {
    expect(problemsOf(withPeer({ balance: { minimum: '5', maximum: '-1' } }))).toEqual([
      'peers[0].balance.minimum: must be <= 0 (the most we may owe the peer, as a balance floor), got "5"',
      'peers[0].balance.maximum: must be >= 0 (the most the peer may owe us), got "-1"',
    ]);
  });

  it('requires an fx rate for every asset when peers use several', () => {
    const doc = baseDoc();
    const peers = doc.peers as Record<string, unknown>[];
    peers.push({ ...peers[0], id: 'eu', assetCode: 'EUR', btp: { role: 'server', authToken: 'eu' } });
    expect(problemsOf({ ...doc, fx: { rates: { USD: 1 } } })).toEqual([
      'fx.rates.EUR: required: peers use USD, EUR, so every asset needs a rate; EUR is used by peers[1] (eu)',
    ]);
    expect(() =>
      parseConfig(stringify({ ...doc, fx: { rates: { USD: 1, EUR: 1.08 } } }), {}, '/x'),
    ).not.toThrow();
  });

  it('rejects two server peers with the same token', () => {
    const doc = baseDoc();
    const peers = doc.peers as Record<string, unknown>[];
    peers.push({ ...peers[0], id: 'bob' });
    expect(problemsOf(doc)[0]).toMatch(/^peers\[1\]\.btp\.authToken: same token as peers\[0\]/);
  });

  it('keeps timers consistent', () => {
    expect(
      problemsOf({
        ...baseDoc(),
        packet: { minMessageWindowMs: 2000, maxHoldTimeMs: 1000 },
        routing: { broadcastIntervalMs: 60000, routeExpiryMs: 30000 },
      }),
    ).toEqual([
      'packet.maxHoldTimeMs: must exceed packet.minMessageWindowMs (2000), got 1000',
      'routing.routeExpiryMs: must exceed routing.broadcastIntervalMs (60000) or routes expire between broadcasts, got 30000',
    ]);
  });

  it('keeps reservations and the shutdown drain alive as long as a packet can be', () => {
    expect(
      problemsOf({
        ...baseDoc(),
        packet: { minMessageWindowMs: 1000, maxHoldTimeMs: 20000 },
        ledger: { pendingTimeoutMs: 20500 },
        shutdown: { drainTimeoutMs: 5000 },
      }),
    ).toEqual([
      "ledger.pendingTimeoutMs: must be at least packet.maxHoldTimeMs + packet.minMessageWindowMs (21000) so a live packet's reservation is never voided under it, got 20500",
      'shutdown.drainTimeoutMs: must be at least packet.maxHoldTimeMs + packet.minMessageWindowMs (21000): closing sessions under a packet still in flight loses a Fulfill the next hop may already count as paid; lower packet.maxHoldTimeMs for faster shutdowns, got 5000',
    ]);
  });

  it('keeps the engine queue within what the ledger queue can hold', () => {
    expect(problemsOf({ ...baseDoc(), engine: { maxQueue: 6000 }, ledger: { maxQueue: 10000 } })).toEqual([
      'engine.maxQueue: must be at most half of ledger.maxQueue (10000): raise ledger.maxQueue to at least 12000 ' +
        'or lower engine.maxQueue, got 6000',
    ]);
  });

  it('rejects a TigerBeetle cluster of two replicas', () => {
    expect(
      problemsOf({
        ...baseDoc(),
        ledger: { backend: 'tigerbeetle', tigerbeetle: { addresses: ['3001', '3002'] } },
      }),
    ).toEqual([
      'ledger.tigerbeetle.addresses: expected 1 replica address or 3 or more (a TigerBeetle cluster), got 2',
    ]);
  });
});

describe('loadConfig', () => {
  it('reads a file and resolves configDir to its directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ilpd-config-'));
    const file = join(dir, 'ilpd.yaml');
    writeFileSync(file, stringify(baseDoc()));
    expect(loadConfig(file, {}).configDir).toBe(dir);
  });

  it('fails with ILPD_ERR_CONFIG naming the file when it does not exist', () => {
    expect(() => loadConfig('/nonexistent/ilpd.yaml', {})).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_CONFIG',
        message: expect.stringContaining('/nonexistent/ilpd.yaml'),
      }),
    );
  });

  it('loads the shipped default config and examples', () => {
    const root = join(__dirname, '../../../../config');
    const config = loadConfig(join(root, 'ilpd.yaml'), {});
    expect(config.address).toBe('test.ilpd');
    expect(config.peers.map((p) => p.id)).toEqual(['alice', 'bob']);
    expect(config.ledger.backend).toBe('embedded');
    for (const example of ['two-node-a.yaml', 'two-node-b.yaml', 'tigerbeetle.yaml']) {
      expect(() => loadConfig(join(root, 'examples', example), {})).not.toThrow();
    }
  });
});
