import type { AppliedChange, ChangeOrigin } from '../config/config-changes';
import type { PeerEdit } from '../config/peer-edits';
import { DaemonError } from '../errors';
import type { AdminApiServer, AdminCall } from './admin-api';

/** What the peer routes ask of the daemon (config/config-changes.ts's ConfigChanges). */
export interface PeerAdministration {
  editPeers(edit: PeerEdit, origin: ChangeOrigin): Promise<AppliedChange>;
  reload(origin: ChangeOrigin): Promise<AppliedChange>;
}

/**
 * The admin API's peer routes. Bodies are peers as written under `peers:` in the YAML (amounts as
 * decimal strings); an update is a JSON merge patch (null deletes a key). Each answers with what the
 * change did (AppliedChange), after the change is saved to the config file and applied.
 *
 *   POST   /admin/peers          add a peer                     201
 *   PATCH  /admin/peers/:id      change a peer (limits, token, enabled: false to disable, …)
 *   DELETE /admin/peers/:id      remove a peer (drained first; its ledger account is kept)
 *   POST   /admin/reload         apply the config file as it is now (as SIGHUP)
 */
export function registerPeerAdminRoutes(api: AdminApiServer, admin: PeerAdministration): void {
  const origin = (call: AdminCall): ChangeOrigin => ({ source: 'admin', actor: call.actor });
  api
    .route('POST', '/admin/peers', async (call) => ({
      status: 201,
      body: await admin.editPeers({ kind: 'add', peer: jsonObject(call.body, 'the new peer') }, origin(call)),
    }))
    .route('PATCH', '/admin/peers/:id', async (call) => ({
      status: 200,
      body: await admin.editPeers(
        {
          kind: 'update',
          peerId: call.params.id,
          patch: jsonObject(call.body, 'the changes (a merge patch)'),
        },
        origin(call),
      ),
    }))
    .route('DELETE', '/admin/peers/:id', async (call) => ({
      status: 200,
      body: await admin.editPeers({ kind: 'remove', peerId: call.params.id }, origin(call)),
    }))
    .route('POST', '/admin/reload', async (call) => ({
      status: 200,
      body: await admin.reload(origin(call)),
    }));
}

function jsonObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DaemonError('ILPD_ERR_ADMIN_BAD_REQUEST', `expected a JSON object with ${what}`);
  }
  return body as Record<string, unknown>;
}
