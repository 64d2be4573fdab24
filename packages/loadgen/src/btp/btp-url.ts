/** A BTP endpoint: btp+ws://[user:token@]host:port[/path], btp+wss://…, or plain ws(s)://. */
export interface BtpEndpoint {
  /** The WebSocket URL without credentials. */
  readonly wsUrl: string;
  readonly username?: string;
  readonly token?: string;
}

export class BtpUrlError extends Error {
  readonly code = 'ILPD_LOADGEN_BAD_URL';
}

export function parseBtpUrl(url: string): BtpEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BtpUrlError(`${url}: expected btp+ws://host:port (or btp+wss://, ws://, wss://)`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const wsScheme = { 'btp+ws': 'ws', 'btp+wss': 'wss', ws: 'ws', wss: 'wss' }[scheme];
  if (!wsScheme) throw new BtpUrlError(`${url}: unsupported scheme "${scheme}", expected btp+ws or btp+wss`);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const token = u.password ? decodeURIComponent(u.password) : undefined;
  const path = u.pathname === '/' ? '' : u.pathname;
  return { wsUrl: `${wsScheme}://${u.host}${path}${u.search}`, username, token };
}

/** "name:secret" as given on the command line. */
export function parseCredentials(spec: string, option: string): { username: string; token: string } {
  const i = spec.indexOf(':');
  if (i <= 0 || i === spec.length - 1) {
    throw new BtpUrlError(`${option}: expected "account:secret" (e.g. alice:alice-secret), got "${spec}"`);
  }
  return { username: spec.slice(0, i), token: spec.slice(i + 1) };
}
