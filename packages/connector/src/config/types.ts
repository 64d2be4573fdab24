/**
 * The validated, frozen runtime configuration. config/schema.ts is the single source of the YAML shape,
 * defaults, env overrides and the docs' reference table; config/load.ts turns a YAML document into this
 * (decimal strings become bigint, durations stay milliseconds) and freezes it.
 */
export type PeerRelation = 'parent' | 'child' | 'peer';

export interface BtpServerSide {
  /** The peer connects to our BTP server and authenticates with auth_username = peer id and this token. */
  readonly role: 'server';
  readonly authToken: string;
}

export interface BtpClientSide {
  /** We connect to the peer: btp+ws://[username:token@]host:port[/path] (or btp+wss://). */
  readonly role: 'client';
  readonly url: string;
  /** Overrides the token in the URL, so secrets can come from the environment. */
  readonly authToken?: string;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
}

export interface PeerConfig {
  readonly id: string;
  readonly relation: PeerRelation;
  readonly btp: BtpServerSide | BtpClientSide;
  readonly assetCode: string;
  readonly assetScale: number;
  /** Largest Prepare amount accepted from this peer (F08 above it); undefined = no cap. */
  readonly maxPacketAmount?: bigint;
  /**
   * Balance from our side: positive = the peer owes us, negative = we owe the peer.
   * maximum caps what the peer may owe us (incoming Prepares reserve against it),
   * minimum (<= 0) caps what we may owe it (outgoing Prepares reserve against it). undefined = unlimited.
   */
  readonly balance: { readonly minimum?: bigint; readonly maximum?: bigint };
  /** Token bucket on incoming Prepares (T05 when empty); undefined = unlimited. */
  readonly rateLimit?: { readonly packetsPerSecond: number; readonly burst: number };
  /** Token bucket on incoming amount per second (T04 when exhausted); undefined = unlimited. */
  readonly throughput?: { readonly amountPerSecond: bigint; readonly burstAmount: bigint };
  /** CCP: whether we send our routes to / accept routes from this peer (relation 'peer' only). */
  readonly sendRoutes: boolean;
  readonly receiveRoutes: boolean;
}

export interface StaticRoute {
  readonly prefix: string;
  readonly peer: string;
}

export interface LedgerConfig {
  readonly backend: 'embedded' | 'tigerbeetle';
  /** Flush a batch when it holds this many transfers ... */
  readonly batchSize: number;
  /** ... or when its oldest transfer has waited this long. */
  readonly flushIntervalMs: number;
  /** Queued-but-unflushed transfers beyond which reserve() sheds with T03. */
  readonly maxQueue: number;
  /** Pending transfers are voided by the backend after this long even if we never post/void (safety net). */
  readonly pendingTimeoutMs: number;
  readonly embedded: {
    /** SQLite database file; relative paths resolve against the config file's directory. */
    readonly path: string;
  };
  readonly tigerbeetle: {
    readonly clusterId: bigint;
    readonly addresses: readonly string[];
    readonly requestTimeoutMs: number;
    /** Transfers per create_transfers request; 0 = learn the cluster's limit at start. */
    readonly maxBatchEvents: number;
    /** Requests in flight at once, one client session each. */
    readonly requestsInFlight: number;
    /** Time recovery may spend at start voiding an earlier run's pending transfers. */
    readonly recoveryBudgetMs: number;
  };
}

export interface DaemonConfig {
  /** Our ILP address; undefined when a parent peer assigns it over ILDCP at startup. */
  readonly address?: string;
  readonly btp: {
    readonly host: string;
    readonly port: number;
    readonly maxPayloadBytes: number;
    readonly authTimeoutMs: number;
    readonly pingIntervalMs: number;
    readonly requestTimeoutMs: number;
  };
  readonly http: { readonly host: string; readonly port: number };
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  readonly packet: {
    /** Time we keep back for ourselves on each hop; less than this left on arrival → R02. */
    readonly minMessageWindowMs: number;
    /** Longest we hold a forwarded Prepare; outgoing expiry is capped to now + this. */
    readonly maxHoldTimeMs: number;
  };
  readonly routing: {
    readonly broadcast: boolean;
    readonly broadcastIntervalMs: number;
    readonly routeExpiryMs: number;
  };
  readonly routes: readonly StaticRoute[];
  readonly fx: {
    /** Fraction kept on every conversion, e.g. 0.002. */
    readonly spread: number;
    /** Value of one whole unit of each asset code in a common base; same-asset packets need no entry. */
    readonly rates: Readonly<Record<string, number>>;
  };
  readonly ledger: LedgerConfig;
  readonly engine: {
    /** 0 = decode/validate inline on the main thread; N = a piscina pool of N workers. */
    readonly workers: number;
    readonly batchSize: number;
    /** Packets admitted but not yet answered beyond which new Prepares are shed with T03. */
    readonly maxQueue: number;
  };
  readonly telemetry: { readonly bufferSize: number; readonly flushIntervalMs: number };
  readonly shutdown: { readonly drainTimeoutMs: number };
  readonly peers: readonly PeerConfig[];
  /** Absolute path of the config file this was loaded from (for resolving relative paths). */
  readonly configDir: string;
}
