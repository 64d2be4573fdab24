import { BtpPacketType, decodeBtp, encodeBtp, type BtpProtocolData } from './btp';

/**
 * RFC 23 authentication and BTP URLs, one implementation for the daemon (server and client roles),
 * the load suite and the test peers.
 *
 * Auth is the first frame of a connection: a Message whose first protocol data entry is `auth`
 * (empty), with `auth_username` and `auth_token` (text), as the reference ilp-plugin-btp sends it.
 */
export interface BtpAuth {
  readonly requestId: number;
  /** '' when the client sent none (ilp-plugin-btp's default): the server then knows it by its token. */
  readonly username: string;
  readonly token: Buffer;
}

export type BtpAuthParse =
  | { readonly ok: true; readonly auth: BtpAuth }
  | { readonly ok: false; readonly requestId?: number; readonly message: string };

export function encodeBtpAuth(requestId: number, username: string, token: string): Buffer {
  const text = (protocolName: string, value: string): BtpProtocolData => ({
    protocolName,
    contentType: 1,
    data: Buffer.from(value, 'utf8'),
  });
  return encodeBtp({
    type: BtpPacketType.Message,
    requestId,
    protocolData: [
      { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
      text('auth_username', username),
      text('auth_token', token),
    ],
  });
}

/** Reads an auth Message; never throws (a peer's first frame is untrusted input). */
export function decodeBtpAuth(frame: Buffer): BtpAuthParse {
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
  return { ok: true, auth: { requestId, username, token } };
}

/** A BTP endpoint: btp+ws://[user:token@]host:port[/path], btp+wss://…, or plain ws(s)://. */
export interface BtpEndpoint {
  /** The WebSocket URL without credentials. */
  readonly wsUrl: string;
  /** '' when the URL has none. */
  readonly username: string;
  /** '' when the URL has none. */
  readonly token: string;
}

const WS_SCHEMES: Readonly<Record<string, string>> = {
  'btp+ws': 'ws',
  'btp+wss': 'wss',
  ws: 'ws',
  wss: 'wss',
};

/** Parses a BTP URL; throws an Error whose message names the URL and what is expected. */
export function parseBtpUrl(url: string): BtpEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${url}: expected btp+ws://host:port (or btp+wss://, ws://, wss://)`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const wsScheme = WS_SCHEMES[scheme];
  if (wsScheme === undefined) {
    throw new Error(`${url}: unsupported scheme "${scheme}", expected btp+ws or btp+wss`);
  }
  const path = u.pathname === '/' ? '' : u.pathname;
  // Rebuilt by hand: WHATWG URL refuses to change a special scheme (ws) from a non-special one (btp+ws).
  return {
    wsUrl: `${wsScheme}://${u.host}${path}${u.search}`,
    username: decodeURIComponent(u.username),
    token: decodeURIComponent(u.password),
  };
}
