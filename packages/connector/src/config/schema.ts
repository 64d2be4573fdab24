import { MAX_PREPARE_BYTES } from '@ilpd/codec';
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The one schema of ilpd's YAML configuration. It is the source of the runtime types (Static), the
 * defaults, the validation messages, the env-variable overrides and the operators' reference table
 * (docs/operators/config-reference.md). Every object rejects unknown keys.
 *
 * Extra schema keywords read by config/validate.ts, config/env.ts and config/reference-doc.ts:
 * - `expected`: how a valid value is described in error messages ("expected <expected>, got …");
 * - `ilpdAmount`: a decimal string in YAML that becomes a bigint (exact beyond 2^53);
 * - `secret`: the value is never echoed in error messages;
 * - `derivedDefault`: the default depends on other keys (filled in by config/load.ts), described here;
 * - `envKey`: for a list of mappings, the item key that addresses an item in env variable names.
 */

const UINT64_MAX = 18446744073709551615n;

export interface AmountOptions {
  readonly description: string;
  /** Allows negative amounts (balance floors). */
  readonly signed?: boolean;
}

/** An amount in the asset's smallest unit: a quoted decimal string in YAML, a bigint at runtime. */
function Amount(options: AmountOptions) {
  return Type.Unsafe<bigint>({
    type: 'string',
    ilpdAmount: true,
    pattern: options.signed ? '^(0|-?[1-9][0-9]*)$' : '^(0|[1-9][0-9]*)$',
    maxMagnitude: UINT64_MAX.toString(),
    expected: options.signed ? 'a decimal string (e.g. "-1000000")' : 'a decimal string (e.g. "1000000")',
    description: options.description,
  });
}

function Milliseconds(defaultMs: number, description: string, minimum = 1, maximum = 86_400_000) {
  return Type.Integer({ default: defaultMs, minimum, maximum, unit: 'ms', description });
}

function Port(defaultPort: number, description: string) {
  return Type.Integer({ default: defaultPort, minimum: 0, maximum: 65535, description });
}

function Host(defaultHost: string, description: string) {
  return Type.String({
    default: defaultHost,
    minLength: 1,
    expected: 'a host name or IP address',
    description,
  });
}

function Count(defaultCount: number, minimum: number, maximum: number, description: string) {
  return Type.Integer({ default: defaultCount, minimum, maximum, description });
}

/** RFC 15 ILP address: allocation scheme, then dot-separated segments of [a-zA-Z0-9_~-]. */
const ILP_ADDRESS_PATTERN = '^(g|private|example|peer|self|test[1-3]?|local)(\\.[a-zA-Z0-9_~-]+)+$';

/** A peer id becomes a segment of its child's ILP address and of env variable names. */
const PEER_ID_PATTERN = '^[a-zA-Z0-9_~-]{1,64}$';

const AssetCode = Type.String({
  pattern: '^[A-Za-z0-9]{1,16}$',
  expected: 'an asset code of 1 to 16 letters or digits (e.g. "USD")',
  description: 'Asset the peer settles in, as announced over ILDCP (e.g. USD, XRP, ETH).',
});

const BtpServerSide = Type.Object(
  {
    role: Type.Literal('server', {
      description: 'server: the peer connects to our BTP listener; client: we connect to the peer.',
    }),
    authToken: Type.String({
      minLength: 1,
      secret: true,
      expected: 'a non-empty string',
      description:
        'Secret the peer presents in auth_token; with role server it is required and must be unique ' +
        'among server peers (a peer that sends an empty auth_username is recognised by its token).',
    }),
    maxConnections: Count(
      4,
      1,
      64,
      'BTP connections this account may hold at once (role server): outgoing Prepares are spread over ' +
        'them and each is answered on the connection that asked. One more that authenticates replaces ' +
        'the oldest.',
    ),
  },
  { additionalProperties: false },
);

const BtpClientSide = Type.Object(
  {
    role: Type.Literal('client'),
    url: Type.String({
      pattern: '^(btp\\+)?wss?://.+',
      expected: 'a URL like "btp+ws://peer.example:7768" (btp+ws, btp+wss, ws or wss)',
      description:
        'Where we connect (role client): btp+ws://[username:token@]host:port[/path]. We authenticate ' +
        "with the URL's username (empty if none: the server then knows us by our token).",
    }),
    authToken: Type.Optional(
      Type.String({
        minLength: 1,
        secret: true,
        expected: 'a non-empty string',
        description:
          'With role client: the token we send, overriding the one in the URL (so it can come from env).',
      }),
    ),
    reconnectInitialMs: Milliseconds(
      500,
      'First reconnect delay (role client); doubles per failed attempt, with full jitter.',
    ),
    reconnectMaxMs: Milliseconds(
      30_000,
      'Cap of the reconnect delay (role client): a restarted peer is found again within this long.',
    ),
  },
  { additionalProperties: false },
);

const PeerSettlement = Type.Object(
  {
    engine: Type.Union([Type.Literal('evm'), Type.Literal('xrpl')], {
      description:
        'Chain we settle with this peer over: evm (payment channels on an EVM chain, in ETH; needs ' +
        "settlement.evm) or xrpl (XRP payment channels; needs settlement.xrpl). The peer's assetCode must be " +
        "the chain's (ETH, XRP).",
    }),
    threshold: Amount({
      description:
        'When what we owe the peer reaches this (asset units), we pay it down to settleTo with a signed claim on our channel to it; 0 = after every Fulfill.',
    }),
    settleTo: Type.Unsafe<bigint>({
      type: 'string',
      ilpdAmount: true,
      default: '0',
      pattern: '^(0|[1-9][0-9]*)$',
      maxMagnitude: UINT64_MAX.toString(),
      expected: 'a decimal string (e.g. "0")',
      description: 'What we leave owed after paying (asset units, <= threshold).',
    }),
    peerAddress: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        expected: "the peer's address on the chain (0x… for evm, r… for xrpl)",
        description:
          "The peer's address on the chain, where our channel to it pays; unset = the address the peer " +
          'announces over BTP (ilpd-settlement-info). When set, claims from the peer must come from a channel ' +
          'it sends from.',
      }),
    ),
    autoOpen: Type.Optional(
      Type.Object(
        {
          deposit: Amount({
            description:
              'Opens (and tops up) our channel to the peer with this much (asset units) whenever it has none, ' +
              'or too little left for the next claim.',
          }),
        },
        {
          additionalProperties: false,
          description: 'Open channels on demand; unset = an operator opens them (`ilpd channels open`).',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Settle with this peer over payment channels (see docs/operators/settlement.md); unset = none.',
  },
);

const Peer = Type.Object(
  {
    id: Type.String({
      pattern: PEER_ID_PATTERN,
      expected: 'an id of 1 to 64 letters, digits, "_", "~" or "-"',
      description:
        'Unique peer id: the BTP auth_username, the last segment of a child address, the env-variable key.',
    }),
    relation: Type.Union([Type.Literal('parent'), Type.Literal('child'), Type.Literal('peer')], {
      description:
        'parent: gives us our address over ILDCP; child: gets its address from us; peer: exchanges routes.',
    }),
    btp: Type.Union([BtpServerSide, BtpClientSide], {
      description: 'How the BTP session with this peer is set up.',
    }),
    assetCode: AssetCode,
    assetScale: Type.Integer({
      minimum: 0,
      maximum: 255,
      description: 'Decimal places of the amounts exchanged with the peer (amount 1 = 10^-assetScale units).',
    }),
    maxPacketAmount: Type.Optional(
      Amount({
        description: 'Largest Prepare amount accepted from the peer (F08 above it); unset = no cap.',
      }),
    ),
    balance: Type.Object(
      {
        minimum: Type.Optional(
          Amount({
            signed: true,
            description: 'Balance floor (<= 0): the most we may owe the peer; unset = unlimited.',
          }),
        ),
        maximum: Type.Optional(
          Amount({
            signed: true,
            description:
              'Balance ceiling (>= 0): the most the peer may owe us (incoming Prepares get T04 above ' +
              'it); unset = unlimited, so set it for every peer you do not fully trust.',
          }),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description: "Balance limits, in the peer's smallest unit; positive balance = the peer owes us.",
      },
    ),
    rateLimit: Type.Optional(
      Type.Object(
        {
          packetsPerSecond: Type.Integer({
            minimum: 1,
            maximum: 10_000_000,
            description: 'Sustained incoming Prepares per second before T05.',
          }),
          burst: Type.Integer({
            minimum: 1,
            maximum: 10_000_000,
            description: 'Token bucket capacity (packets).',
          }),
        },
        {
          additionalProperties: false,
          description: 'Token bucket on incoming Prepares (T05 when empty); unset = unlimited.',
        },
      ),
    ),
    throughput: Type.Optional(
      Type.Object(
        {
          amountPerSecond: Amount({ description: 'Sustained incoming amount per second before T04.' }),
          burstAmount: Amount({ description: 'Token bucket capacity (amount).' }),
        },
        {
          additionalProperties: false,
          description: 'Token bucket on the incoming amount (T04 when exhausted); unset = unlimited.',
        },
      ),
    ),
    settlement: Type.Optional(PeerSettlement),
    enabled: Type.Boolean({
      default: true,
      description:
        'false: configured but out of service: no BTP session (its connections are refused, a client-role ' +
        'peer is not dialled), no routes, its Prepares get F00; its ledger account and balance are kept. ' +
        'Switching it off at runtime (admin API, SIGHUP) first drains its packets in flight.',
    }),
    budget: Type.Object(
      {
        inFlightPackets: Count(
          1000,
          1,
          10_000_000,
          'Prepares from this peer admitted and not yet answered (wherever they wait); beyond it its ' +
            'Prepares get T05 at once.',
        ),
        inFlightBytes: Count(
          33_554_432,
          MAX_PREPARE_BYTES,
          17_179_869_184,
          'ILP bytes of those Prepares; beyond it its Prepares get T05 at once.',
        ),
        heldPackets: Count(
          500,
          1,
          10_000_000,
          'Prepares forwarded to this peer that it has not answered yet; beyond it Prepares routed to ' +
            'it get T02 (a peer that never answers pins at most this much).',
        ),
        heldBytes: Count(
          16_777_216,
          MAX_PREPARE_BYTES,
          17_179_869_184,
          'ILP bytes of those Prepares; beyond it Prepares routed to the peer get T02.',
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          "The peer's share of engine.maxQueue / engine.maxInFlightBytes (see docs/operators/security.md).",
      },
    ),
    sendRoutes: Type.Boolean({
      derivedDefault: '`true`, `false` for children',
      description: 'Whether we broadcast our routes to this peer (CCP).',
    }),
    receiveRoutes: Type.Boolean({
      derivedDefault: '`true`, `false` for children',
      description: 'Whether we accept route updates from this peer (CCP).',
    }),
  },
  { additionalProperties: false },
);

const StaticRoute = Type.Object(
  {
    prefix: Type.String({
      pattern: '^([a-zA-Z0-9_~-]+(\\.[a-zA-Z0-9_~-]+)*\\.?)?$',
      maxLength: 1023,
      expected: 'an ILP address prefix (e.g. "g.acme"; "" matches every address)',
      description:
        'Destination prefix (longest match wins); a static route beats a learned one for the same prefix.',
    }),
    peer: Type.String({ description: 'Id of the peer packets for this prefix go to.' }),
  },
  { additionalProperties: false },
);

function ChainPool(defaultSize: number) {
  return {
    poolSize: Count(
      defaultSize,
      1,
      32,
      'Clients in the pool, spread over the endpoints (round robin over the healthy ones).',
    ),
    healthIntervalMs: Milliseconds(5000, 'How often every endpoint is probed.'),
    breakerFailures: Count(3, 1, 100, "Consecutive failures that open an endpoint's circuit breaker."),
    halfOpenAfterMs: Milliseconds(10_000, 'How long an open breaker waits before one trial call.'),
  };
}

const EvmSettlement = Type.Object(
  {
    rpcUrls: Type.Array(
      Type.String({ pattern: '^(https?|wss?)://.+', expected: 'an http(s):// or ws(s):// JSON-RPC URL' }),
      {
        minItems: 1,
        maxItems: 16,
        description: 'JSON-RPC endpoints of the chain; in env a comma-separated list.',
      },
    ),
    chainId: Type.Integer({
      minimum: 1,
      description: 'The chain id (claims are signed for it: EIP-712 domain).',
    }),
    contractAddress: Type.Optional(
      Type.String({
        pattern: '^0x[0-9a-fA-F]{40}$',
        expected: 'a 0x-prefixed 20-byte address',
        description:
          'The channel contract (contracts/UnidirectionalEthChannels.sol); required to settle, deploy one with `ilpd channels deploy`.',
      }),
    ),
    privateKey: Type.Optional(
      Type.String({
        pattern: '^(0x)?[0-9a-fA-F]{64}$',
        secret: true,
        expected: 'a 32-byte hex private key',
        description:
          'Our signing key (channels, claims, transactions). Give it through ILPD_SETTLEMENT__EVM__PRIVATE_KEY ' +
          'or privateKeyFile, never in the YAML file.',
      }),
    ),
    privateKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File holding our hex private key (relative to the config file); instead of privateKey.',
      }),
    ),
    confirmations: Count(1, 1, 64, 'Blocks a transaction must be under before it counts as done.'),
    ...ChainPool(2),
  },
  { additionalProperties: false, description: 'EVM payment channels (peers with settlement.engine evm).' },
);

const XrplSettlement = Type.Object(
  {
    servers: Type.Array(Type.String({ pattern: '^wss?://.+', expected: 'a ws:// or wss:// rippled URL' }), {
      minItems: 1,
      maxItems: 16,
      description: 'rippled WebSocket endpoints; in env a comma-separated list.',
    }),
    secret: Type.Optional(
      Type.String({
        minLength: 1,
        secret: true,
        expected: 'an XRPL family seed (s…)',
        description:
          'Our account secret (seed). Give it through ILPD_SETTLEMENT__XRPL__SECRET or secretFile, never in the ' +
          'YAML file.',
      }),
    ),
    secretFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File holding our account secret (relative to the config file); instead of secret.',
      }),
    ),
    settleDelaySeconds: Count(
      86_400,
      60,
      31_536_000,
      'SettleDelay of the channels we open: how long the peer has to redeem after we ask to close.',
    ),
    minSettleDelaySeconds: Count(
      3600,
      60,
      31_536_000,
      "Peers' channels with a shorter SettleDelay (or with CancelAfter) are refused: they could expire under us.",
    ),
    ledgerOffset: Count(
      20,
      2,
      1000,
      'LastLedgerSequence = current ledger + this: a transaction not validated by then failed for good.',
    ),
    ...ChainPool(2),
  },
  {
    additionalProperties: false,
    description: 'XRP Ledger payment channels (peers with settlement.engine xrpl).',
  },
);

export const ConfigSchema = Type.Object(
  {
    address: Type.Optional(
      Type.String({
        pattern: ILP_ADDRESS_PATTERN,
        maxLength: 1023,
        expected:
          'an ILP address like "g.acme.connector" (scheme g, private, example, peer, self, test or local)',
        description: 'Our ILP address; required unless a parent peer assigns it over ILDCP.',
      }),
    ),
    btp: Type.Object(
      {
        host: Host('127.0.0.1', 'Interface the BTP listener binds; loopback until you choose to expose it.'),
        port: Port(7768, 'BTP listener port (7768 is the conventional BTP port; 0 = any free port).'),
        maxPayloadBytes: Count(
          1_048_576,
          1024,
          67_108_864,
          'Largest BTP frame accepted (bytes). An ILP packet is at most ~33 KiB; 1 MiB leaves room for ' +
            'large CCP route updates while bounding the memory one frame can take.',
        ),
        authTimeoutMs: Milliseconds(
          5000,
          'A connection that has not authenticated within this long is closed.',
        ),
        pingIntervalMs: Milliseconds(
          10_000,
          'WebSocket ping interval; a session that misses a pong for one interval is terminated.',
        ),
        requestTimeoutMs: Milliseconds(
          35_000,
          'Timeout of BTP requests that carry no packet expiry (auth, messages); ilp-plugin-btp uses 35 s too.',
        ),
        maxOutputBufferBytes: Count(
          1_048_576,
          65_536,
          1_073_741_824,
          'Our output one BTP connection may leave unread (bytes) before we drop the connection: a peer ' +
            'that stops reading costs at most this much memory.',
        ),
        maxUnauthenticated: Count(
          256,
          1,
          1_000_000,
          'Connections that may be unauthenticated at once (accepted, BTP auth not yet passed). When full, ' +
            'the oldest is dropped for the newcomer, so a peer with valid credentials always gets in.',
        ),
        maxUnauthenticatedPerSource: Count(
          16,
          1,
          1_000_000,
          'The same, per source address (an IPv4 address or an IPv6 /64): its oldest is dropped first.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: Host(
          '127.0.0.1',
          'Interface of the admin/health/metrics HTTP listener (read-only admin data).',
        ),
        port: Port(7780, 'Admin/health/metrics HTTP port (0 = any free port).'),
      },
      { additionalProperties: false, default: {} },
    ),
    admin: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Serve the write side of the admin API (add, change, disable, remove peers; reload the config) ' +
            'on its own listener. Off by default; every request needs admin.token.',
        }),
        host: Host(
          '127.0.0.1',
          'Interface of the admin write API; keep it on loopback (or behind a proxy you trust).',
        ),
        port: Port(7781, 'Admin write API port (0 = any free port); must differ from http.port.'),
        token: Type.Optional(
          Type.String({
            minLength: 16,
            secret: true,
            expected: 'a random string of at least 16 characters (e.g. from `openssl rand -hex 24`)',
            description:
              'Bearer token of the admin write API (`Authorization: Bearer <token>`); required when ' +
              'admin.enabled. Prefer the environment: ILPD_ADMIN__TOKEN.',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          [
            Type.Literal('fatal'),
            Type.Literal('error'),
            Type.Literal('warn'),
            Type.Literal('info'),
            Type.Literal('debug'),
            Type.Literal('trace'),
            Type.Literal('silent'),
          ],
          { default: 'info', description: 'pino log level; per-packet logs appear only at debug and trace.' },
        ),
        format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
          default: 'auto',
          description:
            'auto: human-readable lines when stdout is a terminal, JSON lines otherwise; json or pretty to ' +
            'force one (`ilpd start --log-format` overrides this key).',
        }),
        warningIntervalMs: Milliseconds(
          10_000,
          'Warnings a peer can trigger (failed auths, dropped connections, slow readers, …) are logged at ' +
            'most once per interval and kind, with the count suppressed; ilpd_peer_warnings_total counts all.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    packet: Type.Object(
      {
        minMessageWindowMs: Milliseconds(
          1000,
          'Time kept back on each hop for the response to travel back; less left on arrival → R02.',
        ),
        maxHoldTimeMs: Milliseconds(
          30_000,
          'Longest a forwarded Prepare is held: outgoing expiry ≤ now + this.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    routing: Type.Object(
      {
        broadcast: Type.Boolean({ default: true, description: 'Exchange routes with peers over CCP.' }),
        broadcastIntervalMs: Milliseconds(30_000, 'Interval of route update broadcasts (and heartbeats).'),
        routeExpiryMs: Milliseconds(
          45_000,
          'A learned route not refreshed within this long is dropped; must exceed the broadcast interval.',
        ),
        maxRoutesPerPeer: Count(
          1000,
          1,
          1_000_000,
          'Routes kept from one peer (CCP); new prefixes beyond it are ignored, which bounds what its ' +
            'route updates can cost.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    routes: Type.Array(StaticRoute, {
      default: [],
      maxItems: 10_000,
      description: 'Static routes, e.g. `[{ prefix: "g.acme", peer: "acme" }]`.',
    }),
    fx: Type.Object(
      {
        spread: Type.Number({
          default: 0.002,
          minimum: 0,
          maximum: 0.5,
          description:
            'Fraction of every forwarded amount we keep (0.002 = 0.2 %), same-asset packets included (as ilp-connector).',
        }),
        rates: Type.Record(
          Type.String({ pattern: '^[A-Za-z0-9]{1,16}$' }),
          Type.Number({ exclusiveMinimum: 0, expected: 'a number > 0' }),
          {
            default: {},
            keyExpected: 'an asset code of 1 to 16 letters or digits',
            description:
              'Value of one whole unit of each asset in a common base, e.g. `{ USD: 1, EUR: 1.08 }`; needed ' +
              'for every asset code when peers use more than one.',
          },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    ledger: Type.Object(
      {
        backend: Type.Union([Type.Literal('embedded'), Type.Literal('tigerbeetle')], {
          default: 'embedded',
          description:
            'embedded: local SQLite file, no external service; tigerbeetle: a TigerBeetle cluster.',
        }),
        batchSize: Count(
          100,
          1,
          8190,
          'The most transfers one ledger commit carries (group commit); a full batch is written at once.',
        ),
        flushIntervalMs: Milliseconds(
          0,
          'Minimum gather delay: a ledger batch that is not full is committed only once its oldest transfer ' +
            'has waited this long (0 = none: the next batch goes out as soon as the previous commit is ' +
            'durable). Above 0 it caps commits per second at the price of that delay on every post.',
          0,
        ),
        maxQueue: Count(
          10_000,
          1,
          10_000_000,
          'Queued, unflushed transfers beyond which new Prepares get T03.',
        ),
        pendingTimeoutMs: Milliseconds(
          60_000,
          'Safety net: a reservation never posted or voided is voided after this long (> maxHoldTimeMs).',
        ),
        embedded: Type.Object(
          {
            path: Type.String({
              default: './data/ilpd.sqlite',
              minLength: 1,
              description: 'SQLite database file; a relative path is relative to the config file.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        tigerbeetle: Type.Object(
          {
            clusterId: Type.Unsafe<bigint>({
              type: 'string',
              ilpdAmount: true,
              default: '0',
              pattern: '^(0|[1-9][0-9]*)$',
              maxMagnitude: ((1n << 128n) - 1n).toString(),
              expected: 'a decimal string (e.g. "0")',
              description: 'TigerBeetle cluster id (u128, decimal string).',
            }),
            addresses: Type.Array(Type.String({ minLength: 1, expected: 'a "port" or "host:port" string' }), {
              default: ['3000'],
              minItems: 1,
              maxItems: 6,
              description: 'Replica addresses (1 replica, or 3 or more); in env a comma-separated list.',
            }),
            requestTimeoutMs: Milliseconds(
              5000,
              'A read or a reservation not answered within this long fails (T00) and /readyz reports the ' +
                'ledger down until an answer arrives; a post waits for the answer however long.',
            ),
            maxBatchEvents: Count(
              0,
              0,
              8189,
              "Most transfers one create_transfers request carries. 0 = learn the cluster's limit at start " +
                '(253 on a `--development` cluster, 8189 without). Requests are sized to it and split when the ' +
                'cluster refuses one as too large.',
            ),
            requestsInFlight: Count(
              4,
              1,
              16,
              'Ledger requests in flight at once, each on its own client session (TigerBeetle orders them ' +
                "and pipelines their consensus). Every client is one of the cluster's client sessions.",
            ),
            recoveryBudgetMs: Milliseconds(
              10_000,
              'At start, how long recovery may spend voiding pending transfers left by an earlier run; what it ' +
                'leaves expires by its own TigerBeetle timeout (at most pendingTimeoutMs).',
            ),
            claimsPath: Type.String({
              default: './data/ilpd-claims.sqlite',
              minLength: 1,
              description:
                'Local SQLite file that holds the settlement claims (TigerBeetle cannot hold a signature): each ' +
                'claim is stored there before its transfer is sent and reconciled with the cluster at start. ' +
                'Relative to the config file; keep it on durable local disk and back it up with the cluster.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    engine: Type.Object(
      {
        workers: Count(
          0,
          0,
          64,
          '0 = decode and validate on the main thread (fastest for OER decoding); N = a pool of N workers.',
        ),
        batchSize: Count(100, 1, 10_000, 'Packets handed to a worker in one task.'),
        maxQueue: Count(
          2_000,
          1,
          10_000_000,
          'Packets admitted but not yet answered beyond which Prepares get T03.',
        ),
        maxInFlightBytes: Count(
          67_108_864,
          MAX_PREPARE_BYTES,
          17_179_869_184,
          'ILP bytes of those packets beyond which Prepares get T03. Half of this and of maxQueue is ' +
            'reserved in equal shares for every peer, so no peer can take all of it.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    telemetry: Type.Object(
      {
        bufferSize: Count(
          1000,
          1,
          1_000_000,
          'Packet outcomes buffered before they are flushed to the metrics.',
        ),
        flushIntervalMs: Milliseconds(100, '… or flushed after this long, whichever comes first.'),
      },
      { additionalProperties: false, default: {} },
    ),
    shutdown: Type.Object(
      {
        drainTimeoutMs: Milliseconds(
          35_000,
          'On SIGTERM, how long in-flight packets may take to be answered before the ledger is flushed and ' +
            'the process exits. At least packet.maxHoldTimeMs + packet.minMessageWindowMs: every forwarded ' +
            'packet is answered (or expires) within that, so no Fulfill is lost at shutdown.',
          0,
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    settlement: Type.Object(
      {
        workers: Count(
          1,
          0,
          64,
          'Claim signature checks: N worker threads (the packet path keeps its event loop), 0 = on the ' +
            'main thread. One is enough below a few thousand claims a second (npm run bench:signatures).',
        ),
        claimTimeoutMs: Milliseconds(10_000, 'How long a peer has to acknowledge a claim we send over BTP.'),
        watchIntervalMs: Milliseconds(
          10_000,
          'How often channels are read on chain (peers closing theirs, expiry, deposits).',
        ),
        evm: Type.Optional(EvmSettlement),
        xrpl: Type.Optional(XrplSettlement),
      },
      { additionalProperties: false, default: {}, description: 'Settlement over payment channels.' },
    ),
    peers: Type.Array(Peer, {
      default: [],
      maxItems: 10_000,
      envKey: 'id',
      description: 'Peers (see peers[].*).',
    }),
  },
  { additionalProperties: false },
);

/** The validated document: amounts already bigint, every default filled in. */
export type ConfigDocument = Static<typeof ConfigSchema>;

/** Schema keywords this module adds on top of JSON Schema. */
export interface IlpdSchemaKeywords {
  readonly expected?: string;
  readonly ilpdAmount?: boolean;
  readonly maxMagnitude?: string;
  readonly secret?: boolean;
  readonly derivedDefault?: string;
  readonly envKey?: string;
  readonly unit?: string;
  readonly keyExpected?: string;
}

/** A schema node as the walkers see it: plain JSON Schema plus the keywords above. */
export type SchemaNode = TSchema & IlpdSchemaKeywords;
