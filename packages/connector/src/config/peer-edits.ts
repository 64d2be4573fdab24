import { isMap, isSeq, type Document } from 'yaml';
import { DaemonError } from '../errors';
import { ENV_PREFIX, envSegment } from './env';
import { isMapping } from './validate';

/**
 * Changes to the peers of the YAML document itself, as the admin API makes them: the operator's file
 * stays the one source of truth (comments and layout kept), and the daemon applies the edited file
 * exactly as it would apply the same edit made by hand followed by SIGHUP.
 */
export type PeerEdit =
  /** A new peer, as it would be written under `peers:` (amounts as decimal strings). */
  | { readonly kind: 'add'; readonly peer: Record<string, unknown> }
  /** A JSON merge patch (RFC 7396) of one peer: objects merge, null deletes a key. */
  | { readonly kind: 'update'; readonly peerId: string; readonly patch: Record<string, unknown> }
  | { readonly kind: 'remove'; readonly peerId: string };

export function describePeerEdit(edit: PeerEdit): string {
  switch (edit.kind) {
    case 'add':
      return `add peer ${String(edit.peer.id)}`;
    case 'update':
      return `update peer ${edit.peerId} (${leafPaths(edit.patch).join(', ')})`;
    case 'remove':
      return `remove peer ${edit.peerId}`;
  }
}

/**
 * Applies `edit` to the document; throws DaemonError ILPD_ERR_ADMIN_NOT_FOUND (no such peer),
 * ILPD_ERR_ADMIN_CONFLICT (the id exists) or ILPD_ERR_ADMIN_BAD_REQUEST (not a peer mapping, an id
 * change, or a key the environment overrides). Whether the result is a valid config is checked after,
 * by the same loader as at startup.
 */
export function applyPeerEdit(doc: Document, edit: PeerEdit, env: NodeJS.ProcessEnv): void {
  // An empty file is an empty mapping (every key has a default, except what the loader then demands).
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  switch (edit.kind) {
    case 'add': {
      const id = edit.peer.id;
      if (typeof id !== 'string' || id === '') {
        throw new DaemonError('ILPD_ERR_ADMIN_BAD_REQUEST', 'peers[].id: required: the new peer needs an id');
      }
      if (indexOfPeer(doc, id) !== undefined) {
        throw new DaemonError(
          'ILPD_ERR_ADMIN_CONFLICT',
          `peers[id=${id}]: a peer with id ${JSON.stringify(id)} already exists; change it with PATCH /admin/peers/${id}`,
        );
      }
      if (isSeq(doc.get('peers', true))) doc.addIn(['peers'], doc.createNode(edit.peer));
      else doc.set('peers', doc.createNode([edit.peer]));
      return;
    }
    case 'update': {
      const index = requirePeer(doc, edit.peerId);
      if ('id' in edit.patch && edit.patch.id !== edit.peerId) {
        throw new DaemonError(
          'ILPD_ERR_ADMIN_BAD_REQUEST',
          `peers[${index}].id: cannot be changed (${edit.peerId}); add a peer under the new id and remove this one`,
        );
      }
      for (const path of leafPaths(edit.patch)) {
        const variable = `${ENV_PREFIX}PEERS__${envSegment(edit.peerId)}__${path.split('.').map(envSegment).join('__')}`;
        if (env[variable] !== undefined && env[variable] !== '') {
          throw new DaemonError(
            'ILPD_ERR_ADMIN_BAD_REQUEST',
            `peers[${index}].${path} is set by the environment (${variable}), which overrides the file at ` +
              'every start, so this change would not survive a restart; change the variable and restart instead',
          );
        }
      }
      mergePatch(doc, ['peers', index], edit.patch);
      return;
    }
    case 'remove':
      doc.deleteIn(['peers', requirePeer(doc, edit.peerId)]);
      return;
  }
}

function indexOfPeer(doc: Document, peerId: string): number | undefined {
  const peers = doc.get('peers', true);
  if (!isSeq(peers)) return undefined;
  const index = peers.items.findIndex((item) => isMap(item) && item.get('id') === peerId);
  return index === -1 ? undefined : index;
}

function requirePeer(doc: Document, peerId: string): number {
  const index = indexOfPeer(doc, peerId);
  if (index === undefined) {
    throw new DaemonError(
      'ILPD_ERR_ADMIN_NOT_FOUND',
      `no peer with id ${JSON.stringify(peerId)} in the config file`,
    );
  }
  return index;
}

/** RFC 7396 onto the YAML nodes, so untouched keys keep their comments and style. */
function mergePatch(doc: Document, path: (string | number)[], patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const at = [...path, key];
    if (value === null) doc.deleteIn(at);
    else if (isMapping(value) && isMap(doc.getIn(at, true))) mergePatch(doc, at, value);
    else doc.setIn(at, doc.createNode(value));
  }
}

/** `{ balance: { maximum: "5" }, enabled: false }` → ['balance.maximum', 'enabled']. */
function leafPaths(patch: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(patch).flatMap(([key, value]) =>
    isMapping(value) && Object.keys(value).length > 0
      ? leafPaths(value, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}
