import { timingSafeEqual } from 'node:crypto';
import { BtpPacketType, decodeBtp } from '@ilpd/codec';
import type { PeerConfig } from '../config/types';
import type { AuthFailureReason } from '../telemetry/metrics';

/**
 * RFC 23 authentication, as the reference ilp-plugin-btp client performs it: the first frame is a
 * Message whose first protocol data entry is `auth` (empty), with `auth_username` and `auth_token`
 * (text). A non-empty username must be the id of a server-role peer whose token matches; an empty
 * username (the plugin's default) is matched by token alone, which is why server tokens are unique.
 */
export interface AuthRequest {
  readonly requestId: number;
  readonly username: string;
  readonly token: Buffer;
}

export type AuthParse =
  | { readonly ok: true; readonly request: AuthRequest }
  | { readonly ok: false; readonly requestId?: number; readonly message: string };

export function parseAuthFrame(frame: Buffer): AuthParse {
  let packet;
  try {
    packet = decodeBtp(frame);
  } catch (err) {
    const requestId = frame.length >= 5 ? frame.readUInt32BE(1) : undefined;
    return { ok: false, requestId, message: `malformed BTP frame: ${(err as Error).message}` };
  }
  const requestId = packet.requestId;
  if (packet.type !== BtpPacketType.Message) {
    return { ok: false, requestId, message: 'the first BTP frame must be an auth Message' };
  }
  const entries = packet.protocolData;
  if (entries[0]?.protocolName !== 'auth') {
    return { ok: false, requestId, message: 'the first protocol data entry must be "auth"' };
  }
  const token = entries.find((e) => e.protocolName === 'auth_token')?.data;
  if (token === undefined) return { ok: false, requestId, message: 'auth_token is required' };
  const username = entries.find((e) => e.protocolName === 'auth_username')?.data.toString('utf8') ?? '';
  return { ok: true, request: { requestId, username, token } };
}

export type AuthResult =
  | { readonly ok: true; readonly peer: PeerConfig }
  | { readonly ok: false; readonly reason: AuthFailureReason };

export class ServerPeerAuthenticator {
  private readonly byId = new Map<string, { peer: PeerConfig; token: Buffer }>();

  constructor(peers: readonly PeerConfig[]) {
    for (const peer of peers) {
      if (peer.btp.role === 'server')
        this.byId.set(peer.id, { peer, token: Buffer.from(peer.btp.authToken, 'utf8') });
    }
  }

  authenticate(request: AuthRequest): AuthResult {
    if (request.username !== '') {
      const entry = this.byId.get(request.username);
      if (entry === undefined) return { ok: false, reason: 'unknown_peer' };
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
