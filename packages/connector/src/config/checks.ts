import type { ConfigDocument } from './schema';
import { describeValue, type ConfigProblem } from './validate';

/**
 * Rules that span several keys. They run on a document that already matches the schema, so every
 * key is present with its type; each problem names the key to change.
 */
export function checkCrossFieldRules(doc: ConfigDocument): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  checkPeers(doc, add);
  checkRoutes(doc, add);
  checkFx(doc, add);
  checkSettlement(doc, add);

  if (doc.address === undefined && !doc.peers.some((p) => p.relation === 'parent')) {
    add('address', 'required unless a peer has relation "parent" (which assigns our address over ILDCP)');
  }
  if (doc.packet.maxHoldTimeMs <= doc.packet.minMessageWindowMs) {
    add(
      'packet.maxHoldTimeMs',
      `must exceed packet.minMessageWindowMs (${doc.packet.minMessageWindowMs}), got ${doc.packet.maxHoldTimeMs}`,
    );
  }
  if (doc.routing.broadcast && doc.routing.routeExpiryMs <= doc.routing.broadcastIntervalMs) {
    add(
      'routing.routeExpiryMs',
      `must exceed routing.broadcastIntervalMs (${doc.routing.broadcastIntervalMs}) or routes expire between ` +
        `broadcasts, got ${doc.routing.routeExpiryMs}`,
    );
  }
  // A forwarded packet lives at most maxHoldTimeMs, plus one window to relay its Fulfill and post it.
  const packetLifetimeMs = doc.packet.maxHoldTimeMs + doc.packet.minMessageWindowMs;
  if (doc.ledger.pendingTimeoutMs < packetLifetimeMs) {
    add(
      'ledger.pendingTimeoutMs',
      `must be at least packet.maxHoldTimeMs + packet.minMessageWindowMs (${packetLifetimeMs}) so a live ` +
        `packet's reservation is never voided under it, got ${doc.ledger.pendingTimeoutMs}`,
    );
  }
  if (doc.shutdown.drainTimeoutMs < packetLifetimeMs) {
    add(
      'shutdown.drainTimeoutMs',
      `must be at least packet.maxHoldTimeMs + packet.minMessageWindowMs (${packetLifetimeMs}): closing ` +
        'sessions under a packet still in flight loses a Fulfill the next hop may already count as paid; ' +
        `lower packet.maxHoldTimeMs for faster shutdowns, got ${doc.shutdown.drainTimeoutMs}`,
    );
  }
  if (doc.ledger.maxQueue < doc.ledger.batchSize) {
    add(
      'ledger.maxQueue',
      `must be at least ledger.batchSize (${doc.ledger.batchSize}), got ${doc.ledger.maxQueue}`,
    );
  }
  // Each admitted packet can hold two queued ledger writes (its pending transfer and its post); past
  // half of ledger.maxQueue the ledger would shed packets the engine already admitted and processed.
  if (doc.engine.maxQueue * 2 > doc.ledger.maxQueue) {
    add(
      'engine.maxQueue',
      `must be at most half of ledger.maxQueue (${doc.ledger.maxQueue}): raise ledger.maxQueue to at least ` +
        `${doc.engine.maxQueue * 2} or lower engine.maxQueue, got ${doc.engine.maxQueue}`,
    );
  }
  checkAdmin(doc, add);
  const replicas = doc.ledger.tigerbeetle.addresses.length;
  if (doc.ledger.backend === 'tigerbeetle' && replicas === 2) {
    add(
      'ledger.tigerbeetle.addresses',
      'expected 1 replica address or 3 or more (a TigerBeetle cluster), got 2',
    );
  }
  return problems;
}

type Add = (path: string, message: string) => void;

function checkPeers(doc: ConfigDocument, add: Add): void {
  const firstById = new Map<string, number>();
  const firstByToken = new Map<string, number>();
  doc.peers.forEach((peer, i) => {
    const at = `peers[${i}]`;
    const sameId = firstById.get(peer.id);
    if (sameId !== undefined)
      add(`${at}.id`, `duplicate id ${JSON.stringify(peer.id)} (also peers[${sameId}].id)`);
    else firstById.set(peer.id, i);

    if (peer.btp.role === 'server') {
      const sameToken = firstByToken.get(peer.btp.authToken);
      if (sameToken !== undefined) {
        add(
          `${at}.btp.authToken`,
          `same token as peers[${sameToken}]; server peers need distinct tokens (a peer that sends no ` +
            'auth_username is recognised by its token)',
        );
      } else firstByToken.set(peer.btp.authToken, i);
    } else {
      checkClientUrl(peer.btp.url, `${at}.btp.url`, add);
      if (peer.btp.reconnectMaxMs < peer.btp.reconnectInitialMs) {
        add(
          `${at}.btp.reconnectMaxMs`,
          `must be at least btp.reconnectInitialMs (${peer.btp.reconnectInitialMs}), got ${peer.btp.reconnectMaxMs}`,
        );
      }
    }
    const { minimum, maximum } = peer.balance;
    if (minimum !== undefined && minimum > 0n) {
      add(
        `${at}.balance.minimum`,
        `must be <= 0 (the most we may owe the peer, as a balance floor), got "${minimum}"`,
      );
    }
    if (maximum !== undefined && maximum < 0n) {
      add(`${at}.balance.maximum`, `must be >= 0 (the most the peer may owe us), got "${maximum}"`);
    }
    if (peer.throughput !== undefined) {
      if (peer.throughput.amountPerSecond === 0n) {
        add(`${at}.throughput.amountPerSecond`, 'must be > 0 (leave throughput out for no limit), got "0"');
      }
      if (peer.throughput.burstAmount === 0n) {
        add(`${at}.throughput.burstAmount`, 'must be > 0 (leave throughput out for no limit), got "0"');
      }
    }
  });
}

function checkAdmin(doc: ConfigDocument, add: Add): void {
  if (!doc.admin.enabled) return;
  if (doc.admin.token === undefined) {
    add(
      'admin.token',
      'required when admin.enabled is true: every admin API request must present it; generate one with ' +
        '`openssl rand -hex 24` and set ILPD_ADMIN__TOKEN',
    );
  }
  if (doc.admin.port !== 0 && (doc.admin.port === doc.http.port || doc.admin.port === doc.btp.port)) {
    const other = doc.admin.port === doc.http.port ? 'http.port' : 'btp.port';
    add('admin.port', `must differ from ${other} (${doc.admin.port}), got ${doc.admin.port}`);
  }
}

function checkClientUrl(url: string, path: string, add: Add): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    add(path, `expected a URL like "btp+ws://peer.example:7768", got ${describeValue(url)}`);
    return;
  }
  if (parsed.hostname === '') add(path, `expected a URL with a host, got ${describeValue(url)}`);
}

function checkRoutes(doc: ConfigDocument, add: Add): void {
  const peerIds = doc.peers.map((p) => p.id);
  const firstByPrefix = new Map<string, number>();
  doc.routes.forEach((route, i) => {
    if (!peerIds.includes(route.peer)) {
      const known = peerIds.length === 0 ? 'no peers are configured' : `peers: ${peerIds.join(', ')}`;
      add(`routes[${i}].peer`, `no peer with id ${JSON.stringify(route.peer)} (${known})`);
    }
    const same = firstByPrefix.get(route.prefix);
    if (same !== undefined)
      add(`routes[${i}].prefix`, `duplicate prefix ${JSON.stringify(route.prefix)} (also routes[${same}])`);
    else firstByPrefix.set(route.prefix, i);
  });
}

/** A packet between peers of different assets needs both assets' rates; one asset needs none. */
function checkFx(doc: ConfigDocument, add: Add): void {
  const assets = [...new Set(doc.peers.map((p) => p.assetCode))];
  if (assets.length < 2) return;
  doc.peers.forEach((peer, i) => {
    if (doc.fx.rates[peer.assetCode] !== undefined) return;
    if (doc.peers.findIndex((p) => p.assetCode === peer.assetCode) !== i) return;
    add(
      `fx.rates.${peer.assetCode}`,
      `required: peers use ${assets.join(', ')}, so every asset needs a rate; ${peer.assetCode} is used by ` +
        `peers[${i}] (${peer.id})`,
    );
  });
}

/** The chain each settlement engine pays in, and the asset code its peers must use. */
const SETTLEMENT_ASSET = { evm: 'ETH', xrpl: 'XRP' } as const;
const PEER_ADDRESS = { evm: /^0x[0-9a-fA-F]{40}$/, xrpl: /^r[1-9A-HJ-NP-Za-km-z]{24,34}$/ } as const;

function checkSettlement(doc: ConfigDocument, add: Add): void {
  const { evm, xrpl } = doc.settlement;
  if (evm !== undefined && (evm.privateKey === undefined) === (evm.privateKeyFile === undefined)) {
    add(
      'settlement.evm.privateKey',
      'give exactly one of settlement.evm.privateKey (best from ILPD_SETTLEMENT__EVM__PRIVATE_KEY) and ' +
        'settlement.evm.privateKeyFile',
    );
  }
  if (xrpl !== undefined && (xrpl.secret === undefined) === (xrpl.secretFile === undefined)) {
    add(
      'settlement.xrpl.secret',
      'give exactly one of settlement.xrpl.secret (best from ILPD_SETTLEMENT__XRPL__SECRET) and ' +
        'settlement.xrpl.secretFile',
    );
  }
  doc.peers.forEach((peer, i) => {
    const settlement = peer.settlement;
    if (settlement === undefined) return;
    const at = `peers[${i}].settlement`;
    const engine = settlement.engine;
    if (doc.settlement[engine] === undefined) {
      add(
        `${at}.engine`,
        `${engine} needs settlement.${engine} (its endpoints and our key), which is not set`,
      );
    }
    const asset = SETTLEMENT_ASSET[engine];
    if (peer.assetCode !== asset) {
      add(
        `peers[${i}].assetCode`,
        `must be ${asset} to settle over ${engine} (claims pay in ${asset}), got ${JSON.stringify(peer.assetCode)}`,
      );
    }
    if (settlement.settleTo > settlement.threshold) {
      add(
        `${at}.settleTo`,
        `must be at most threshold (${settlement.threshold}), got "${settlement.settleTo}"`,
      );
    }
    const minimum = peer.balance.minimum;
    if (minimum !== undefined && -minimum < settlement.threshold) {
      add(
        `${at}.threshold`,
        `must be at most what we may owe the peer (-balance.minimum = ${-minimum}), or packets to it get T04 ` +
          `before settlement starts, got "${settlement.threshold}"`,
      );
    }
    if (settlement.peerAddress !== undefined && !PEER_ADDRESS[engine].test(settlement.peerAddress)) {
      add(
        `${at}.peerAddress`,
        `expected ${engine === 'evm' ? 'a 0x-prefixed 20-byte address' : 'a classic XRPL address (r…)'}, got ` +
          describeValue(settlement.peerAddress),
      );
    }
  });
}
