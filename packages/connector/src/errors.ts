/**
 * Every error the daemon raises on purpose carries a stable `code` from this table. Code paths branch
 * on `code`, never on `instanceof`: errors that cross a worker boundary lose their class but keep
 * their own properties. One boundary (the packet pipeline) turns any error into an ILP Reject using
 * the ILP code mapped here; anything without a known code becomes T00.
 */
export type IlpErrorCode = `${'F' | 'T' | 'R'}${string}`;

export interface DaemonErrorSpec {
  /** ILP error code a packet rejected for this reason carries. */
  readonly ilpCode: IlpErrorCode;
  readonly description: string;
}

export const ERROR_CODES = {
  // Packet validation and forwarding.
  ILPD_ERR_INVALID_PACKET: {
    ilpCode: 'F01',
    description: 'the ILP packet could not be decoded or is invalid',
  },
  ILPD_ERR_UNREACHABLE: { ilpCode: 'F02', description: 'no route to the destination' },
  ILPD_ERR_INVALID_AMOUNT: { ilpCode: 'F03', description: 'the amount cannot be converted or overflows' },
  ILPD_ERR_WRONG_CONDITION: { ilpCode: 'F05', description: 'the fulfillment does not match the condition' },
  ILPD_ERR_AMOUNT_TOO_LARGE: { ilpCode: 'F08', description: 'the amount exceeds the maximum packet amount' },
  ILPD_ERR_INSUFFICIENT_TIMEOUT: { ilpCode: 'R02', description: 'too little time is left before expiry' },
  ILPD_ERR_TIMED_OUT: { ilpCode: 'R00', description: 'the packet expired before a response arrived' },
  ILPD_ERR_RATE_LIMITED: { ilpCode: 'T05', description: 'the peer sends packets faster than allowed' },
  ILPD_ERR_THROUGHPUT_LIMITED: { ilpCode: 'T04', description: 'the peer sends value faster than allowed' },
  ILPD_ERR_PEER_UNREACHABLE: { ilpCode: 'T01', description: 'the next hop is not connected' },
  ILPD_ERR_PEER_PROTOCOL: {
    ilpCode: 'T01',
    description: 'the next hop answered with a BTP error or a frame without an ILP packet',
  },
  ILPD_ERR_BUSY: {
    ilpCode: 'T03',
    description: 'the connector is overloaded and sheds load (e.g. the shared in-flight pool is full)',
  },
  ILPD_ERR_PEER_BUDGET: {
    ilpCode: 'T05',
    description: 'the peer already has as many Prepares (or ILP bytes) in flight as its budget allows',
  },
  ILPD_ERR_NEXT_HOP_BUSY: {
    ilpCode: 'T02',
    description: 'the next hop holds as many of our Prepares (or ILP bytes) unanswered as its budget allows',
  },
  ILPD_ERR_INTERNAL: { ilpCode: 'T00', description: 'an unexpected internal error' },
  ILPD_ERR_BAD_REQUEST: { ilpCode: 'F00', description: 'the request is not allowed from this peer' },
  ILPD_ERR_AMOUNT_TOO_SMALL: { ilpCode: 'R01', description: 'the amount converts to zero at the next hop' },
  ILPD_ERR_INVALID_RESPONSE: { ilpCode: 'T00', description: 'the next hop answered with an invalid packet' },
  ILPD_ERR_ILDCP: { ilpCode: 'T00', description: 'the parent did not answer the ILDCP request' },
  // Ledger.
  ILPD_ERR_LEDGER_LIMIT_EXCEEDED: {
    ilpCode: 'T04',
    description: "the packet would exceed a peer's balance limit",
  },
  ILPD_ERR_LEDGER_UNAVAILABLE: { ilpCode: 'T00', description: 'the ledger did not answer in time' },
  ILPD_ERR_LEDGER_OVERLOADED: { ilpCode: 'T03', description: 'the ledger write queue is full' },
  ILPD_ERR_LEDGER_WRITE_FAILED: {
    ilpCode: 'T00',
    description: 'the ledger could not durably record a batch, even after retries',
  },
  ILPD_ERR_LEDGER_NOT_PENDING: {
    ilpCode: 'T00',
    description: 'the reservation is unknown, already resolved or timed out',
  },
  ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT: { ilpCode: 'T00', description: 'the peer has no ledger account' },
  ILPD_ERR_LEDGER_REQUEST_TOO_LARGE: {
    ilpCode: 'T00',
    description: "a ledger request exceeded the cluster's request size limit (never sent; split and resent)",
  },
  // Settlement (never on the packet path: settlement runs beside forwarding).
  ILPD_ERR_SETTLEMENT_UNAVAILABLE: {
    ilpCode: 'T00',
    description: "no endpoint of the settlement chain answers (or every endpoint's circuit is open)",
  },
  ILPD_ERR_SETTLEMENT_NO_CHANNEL: {
    ilpCode: 'T00',
    description: 'no open payment channel with the peer (and none may be opened on demand)',
  },
  ILPD_ERR_SETTLEMENT_CHANNEL_EXHAUSTED: {
    ilpCode: 'T00',
    description: 'our payment channel to the peer has no deposit left for the next claim',
  },
  ILPD_ERR_SETTLEMENT_INVALID: {
    ilpCode: 'T00',
    description: 'a settlement request is invalid (amount, channel, key or signature) and was not sent',
  },
  ILPD_ERR_SETTLEMENT_TX_FAILED: {
    ilpCode: 'T00',
    description: 'the chain refused or failed the transaction (its result code says why)',
  },
  ILPD_ERR_SETTLEMENT_TX_EXPIRED: {
    ilpCode: 'T00',
    description: 'the transaction was never validated before its last ledger, even after re-signing',
  },
  ILPD_ERR_SETTLEMENT_TX_UNKNOWN: {
    ilpCode: 'T00',
    description: 'the engine stopped before a submitted transaction reached a final result',
  },
  ILPD_ERR_SETTLEMENT_CHANNEL_GONE: {
    ilpCode: 'T00',
    description: 'the channel no longer exists on chain (closed, or expired and removed)',
  },
  ILPD_ERR_SETTLEMENT_TOO_EARLY: {
    ilpCode: 'T00',
    description: 'the channel cannot be finalised before its close time (settle delay or CancelAfter)',
  },
  ILPD_ERR_SETTLEMENT_INVALID_INPUT: {
    ilpCode: 'T00',
    description: 'a channel id, address, amount or signature given to a settlement engine is malformed',
  },
  ILPD_ERR_SETTLEMENT_TX_REJECTED: {
    ilpCode: 'T00',
    description:
      'the chain refused a transaction before it was mined (it would revert, or lacks funds): no fee paid',
  },
  ILPD_ERR_SETTLEMENT_TX_REVERTED: {
    ilpCode: 'T00',
    description: 'a settlement transaction was mined but reverted: its fee is paid, nothing else changed',
  },
  ILPD_ERR_SETTLEMENT_TX_UNCONFIRMED: {
    ilpCode: 'T00',
    description:
      'a signed settlement transaction was not confirmed in time: its outcome is unknown until looked up',
  },
  // Operators' peer changes.
  ILPD_ERR_PEER_DISABLED: {
    ilpCode: 'F00',
    description:
      'the sending peer is disabled or being removed by the operator (its packets in flight drain, new ones are refused)',
  },
  // Configuration and its runtime changes (never reach the packet path: they stop startup or are
  // answered to the operator by the admin API, SIGHUP's log line or `ilpd reload`).
  ILPD_ERR_CONFIG: { ilpCode: 'T00', description: 'the configuration is invalid' },
  ILPD_ERR_CONFIG_CHANGE_REFUSED: {
    ilpCode: 'T00',
    description: 'a valid config that cannot be applied to the running daemon (nothing was changed)',
  },
  ILPD_ERR_CONFIG_FILE_CHANGED: {
    ilpCode: 'T00',
    description:
      'the config file changed on disk since ilpd loaded it; reload it before editing it through the API',
  },
  ILPD_ERR_CONFIG_WRITE_FAILED: { ilpCode: 'T00', description: 'the config file could not be written' },
  ILPD_ERR_CONFIG_APPLY_FAILED: {
    ilpCode: 'T00',
    description: 'the new config was saved but applying it failed part way; a reload retries it',
  },
  // Admin API.
  ILPD_ERR_ADMIN_UNAUTHORIZED: {
    ilpCode: 'T00',
    description: 'the admin API request has no valid bearer token (admin.token)',
  },
  ILPD_ERR_ADMIN_BAD_REQUEST: { ilpCode: 'T00', description: 'the admin API request is malformed' },
  ILPD_ERR_ADMIN_NOT_FOUND: { ilpCode: 'T00', description: 'no such peer (or admin API path)' },
  ILPD_ERR_ADMIN_CONFLICT: { ilpCode: 'T00', description: 'a peer with that id already exists' },
} as const satisfies Record<string, DaemonErrorSpec>;

export type DaemonErrorCode = keyof typeof ERROR_CODES;

export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  /** Optional ILP reject data (e.g. F08 carries the received and maximum amounts). */
  readonly ilpData?: Buffer;

  constructor(code: DaemonErrorCode, message: string, options?: { ilpData?: Buffer; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.ilpData = options?.ilpData;
  }
}

export function isDaemonErrorCode(code: unknown): code is DaemonErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The ILP code for any thrown value: its mapped code when it carries a known `code`, else T00. */
export function ilpCodeOf(err: unknown): IlpErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  return isDaemonErrorCode(code) ? ERROR_CODES[code].ilpCode : 'T00';
}
