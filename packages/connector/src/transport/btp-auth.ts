import { timingSafeEqual } from 'node:crypto';
import type { BtpAuth } from '@ilpd/codec';
import type { PeerConfig } from '../config/types';
import type { AuthFailureReason } from '../telemetry/metrics';

/**
 * Server-side RFC 23 authentication (the frame itself is read by the codec's decodeBtpAuth): a
 * non-empty username must be the id of a server-role peer whose token matches; an empty username (the
 * reference plugin's default) is matched by token alone, which is why server tokens are unique.
 */
export type AuthResult =
  | { readonly ok: true; readonly peer: PeerConfig }
  | { readonly ok: false; readonly reason: AuthFailureReason };

export class ServerPeerAuthenticator {
  private byId = new Map<string, { peer: PeerConfig; token: Buffer }>();
  private disabled = new Set<string>();

  constructor(peers: readonly PeerConfig[]) {
    this.setPeers(peers);
  }

  /** A new peer set (runtime config change): only enabled server-role peers can authenticate. */
  setPeers(peers: readonly PeerConfig[]): void {
    const byId = new Map<string, { peer: PeerConfig; token: Buffer }>();
    const disabled = new Set<string>();
    for (const peer of peers) {
      if (peer.btp.role !== 'server') continue;
      if (peer.enabled) byId.set(peer.id, { peer, token: Buffer.from(peer.btp.authToken, 'utf8') });
      else disabled.add(peer.id);
    }
    this.byId = byId;
    this.disabled = disabled;
  }

  authenticate(request: BtpAuth): AuthResult {
    if (request.username !== '') {
      const entry = this.byId.get(request.username);
      if (entry === undefined) {
        return { ok: false, reason: this.disabled.has(request.username) ? 'disabled' : 'unknown_peer' };
      }
      return tokensEqual(entry.token, request.token)
        ? { ok: true, peer: entry.peer }
        : { ok: false, reason: 'bad_token' };
    }
    // Compare against every token so the time taken does not reveal which peer (if any) matched.
    let match: PeerConfig | undefined;
    for (const entry of this.byId.values()) {
      if (tokensEqual(entry.token, request.token)) match = entry.peer;
    }
    return match === undefined ? { ok: false, reason: 'bad_token' } : { ok: true, peer: match };
  }
}

function tokensEqual(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}
