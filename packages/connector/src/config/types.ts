import type { ConfigDocument } from './schema';

/**
 * The validated, frozen runtime configuration. Every type here is derived from the one schema
 * (config/schema.ts): a new key is added there and nowhere else. config/load.ts turns a YAML document
 * into a DaemonConfig (decimal strings become bigint, derived defaults are filled in) and freezes it.
 */
type DeepReadonly<T> = T extends bigint | string | number | boolean | undefined
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };

export type DaemonConfig = DeepReadonly<ConfigDocument> & {
  /** Absolute path of the directory of the config file (relative paths resolve against it). */
  readonly configDir: string;
};

export type PeerConfig = DaemonConfig['peers'][number];
export type PeerRelation = PeerConfig['relation'];
/** The peer connects to our BTP server and authenticates with auth_username = peer id and its token. */
export type BtpServerSide = Extract<PeerConfig['btp'], { readonly role: 'server' }>;
/** We connect to the peer: btp+ws://[username:token@]host:port[/path] (or btp+wss://). */
export type BtpClientSide = Extract<PeerConfig['btp'], { readonly role: 'client' }>;
export type StaticRoute = DaemonConfig['routes'][number];
export type LedgerConfig = DaemonConfig['ledger'];
