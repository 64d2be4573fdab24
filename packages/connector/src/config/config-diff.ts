import type { DaemonConfig, PeerConfig } from './types';

/**
 * What a new config changes for a running daemon, computed before anything is touched. Peers are
 * applied live: limits in place; anything a BTP session or routing depends on by draining the peer and
 * letting it reconnect. Static routes and FX are applied live too; other keys wait for a restart, and
 * changes that would detach a peer from its ledger account are refused.
 */
export interface PeerChanges {
  /** Peers with a new id. */
  readonly added: readonly PeerConfig[];
  /** Only limits changed (maxPacketAmount, balance, rateLimit, throughput): applied in place. */
  readonly updated: readonly PeerConfig[];
  /** btp, relation or route settings changed: drained, session closed, set up again (new config). */
  readonly reconnected: readonly PeerConfig[];
  /** Switched off (enabled: false): drained, session closed, account kept. */
  readonly disabled: readonly PeerConfig[];
  /** Switched back on. */
  readonly enabled: readonly PeerConfig[];
  /** Gone from the config (their last config): drained, session closed, account and balance kept. */
  readonly removed: readonly PeerConfig[];
}

export interface ConfigChange {
  readonly peers: PeerChanges;
  readonly routesChanged: boolean;
  readonly fxChanged: boolean;
  /** admin.token: the admin API checks the new token from the next request on. */
  readonly adminTokenChanged: boolean;
  /** Key paths whose new values take effect only at the next start (e.g. `http.port`). */
  readonly restartRequired: readonly string[];
  /** Why the change cannot be applied to the running daemon; when any, nothing is applied. */
  readonly refused: readonly string[];
}

/** Peer keys that only bound what a peer may do: changed in place, its session stays up. */
const LIMIT_KEYS = new Set(['maxPacketAmount', 'balance', 'rateLimit', 'throughput']);
/** Top-level keys applied live; every other top-level key needs a restart. */
const LIVE_KEYS = new Set(['peers', 'routes', 'fx', 'configDir']);

export function diffConfig(before: DaemonConfig, after: DaemonConfig): ConfigChange {
  const refused: string[] = [];
  const added: PeerConfig[] = [];
  const updated: PeerConfig[] = [];
  const reconnected: PeerConfig[] = [];
  const disabled: PeerConfig[] = [];
  const enabled: PeerConfig[] = [];
  const old = new Map(before.peers.map((peer) => [peer.id, peer]));
  after.peers.forEach((peer, i) => {
    const previous = old.get(peer.id);
    old.delete(peer.id);
    if (previous === undefined) {
      added.push(peer);
      return;
    }
    for (const key of ['assetCode', 'assetScale'] as const) {
      if (peer[key] !== previous[key]) {
        refused.push(
          `peers[${i}].${key}: cannot change from ${JSON.stringify(previous[key])} to ${JSON.stringify(peer[key])} ` +
            `while ilpd runs: peer ${peer.id}'s ledger account and balance are in ${previous.assetCode} ` +
            `(scale ${previous.assetScale}); add the peer under a new id instead (and remove this one)`,
        );
      }
    }
    const changedKeys = Object.keys({ ...previous, ...peer }).filter(
      (key) => json(previous[key as keyof PeerConfig]) !== json(peer[key as keyof PeerConfig]),
    );
    if (changedKeys.length === 0) return;
    if (previous.enabled !== peer.enabled) {
      (peer.enabled ? enabled : disabled).push(peer);
    } else if (!peer.enabled) {
      // Out of service before and after: nothing runs for it, the new settings apply when enabled.
      updated.push(peer);
    } else if (changedKeys.every((key) => LIMIT_KEYS.has(key))) {
      updated.push(peer);
    } else {
      reconnected.push(peer);
    }
  });
  const removed = [...old.values()];
  const restartRequired = Object.keys({ ...before, ...after })
    .filter((key) => !LIVE_KEYS.has(key))
    .flatMap((key) => changedPaths(key, before[key as keyof DaemonConfig], after[key as keyof DaemonConfig]))
    .filter((path) => path !== 'admin.token');
  return {
    peers: { added, updated, reconnected, disabled, enabled, removed },
    routesChanged: json(before.routes) !== json(after.routes),
    fxChanged: json(before.fx) !== json(after.fx),
    adminTokenChanged: before.admin.token !== after.admin.token,
    restartRequired,
    refused,
  };
}

/** True when applying the change would change nothing. */
export function isEmptyChange(change: ConfigChange): boolean {
  const p = change.peers;
  return (
    [p.added, p.updated, p.reconnected, p.disabled, p.enabled, p.removed].every(
      (list) => list.length === 0,
    ) &&
    !change.routesChanged &&
    !change.fxChanged &&
    !change.adminTokenChanged &&
    change.restartRequired.length === 0
  );
}

/** Ids of the peers whose current sessions end: they drain first. */
export function departingPeerIds(change: ConfigChange): string[] {
  const p = change.peers;
  return [...p.removed, ...p.disabled, ...p.reconnected].map((peer) => peer.id);
}

/** Leaf key paths under `path` whose values differ (lists compare whole). */
function changedPaths(path: string, a: unknown, b: unknown): string[] {
  if (isRecord(a) && isRecord(b)) {
    return Object.keys({ ...a, ...b }).flatMap((key) => changedPaths(`${path}.${key}`, a[key], b[key]));
  }
  return json(a) === json(b) ? [] : [path];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
}
