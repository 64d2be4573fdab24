/**
 * The end-of-run ledger check. Balances are from the connector's side (positive = the peer owes the
 * connector), as both ilpd's /admin/balances and ilp-connector's admin /balance report them. After a run
 * the sender-side peer must owe exactly the fulfilled amounts more, and the connector must owe the
 * receiver-side peer exactly that much more (same asset, no spread in the test configs).
 */
export type BalanceMap = ReadonlyMap<string, bigint>;

export class BalanceFormatError extends Error {
  readonly code = 'ILPD_LOADGEN_BAD_BALANCES';
}

function toBigInt(v: unknown, where: string): bigint {
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new BalanceFormatError(
    `${where}: expected an integer balance (decimal string), got ${JSON.stringify(v)}`,
  );
}

const ID_KEYS = ['peerId', 'peer', 'id', 'accountId', 'account'];
const WRAPPER_KEYS = ['peers', 'accounts', 'balances'];

/**
 * Accepts the shapes connectors use: an array of {peerId|id|account…, balance}, an object keyed by peer
 * id whose values are balances or {balance}, or either of those under "peers"/"accounts"/"balances".
 */
export function extractBalances(json: unknown, where = 'balances'): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if (Array.isArray(json)) {
    json.forEach((entry, i) => {
      if (typeof entry !== 'object' || entry === null) {
        throw new BalanceFormatError(`${where}[${i}]: expected an object, got ${JSON.stringify(entry)}`);
      }
      const rec = entry as Record<string, unknown>;
      const idKey = ID_KEYS.find((k) => typeof rec[k] === 'string');
      if (!idKey) throw new BalanceFormatError(`${where}[${i}]: no peer id (${ID_KEYS.join('/')})`);
      out.set(rec[idKey] as string, toBigInt(rec.balance, `${where}[${i}].balance`));
    });
    return out;
  }
  if (typeof json !== 'object' || json === null) {
    throw new BalanceFormatError(`${where}: expected an object or array, got ${JSON.stringify(json)}`);
  }
  const obj = json as Record<string, unknown>;
  const wrapper = WRAPPER_KEYS.find((k) => typeof obj[k] === 'object' && obj[k] !== null);
  if (wrapper) return extractBalances(obj[wrapper], `${where}.${wrapper}`);
  for (const [peer, value] of Object.entries(obj)) {
    const v =
      typeof value === 'object' && value !== null && 'balance' in value
        ? (value as { balance: unknown }).balance
        : value;
    out.set(peer, toBigInt(v, `${where}.${peer}`));
  }
  return out;
}

export interface PeerBalanceDelta {
  readonly peer: string;
  readonly before: string;
  readonly after: string;
  readonly delta: string;
  readonly expectedDelta: string;
}

export interface BalanceCheck {
  readonly url: string;
  /** Fulfilled amounts as the sender saw them (sum of the amounts of its fulfilled Prepares). */
  readonly fulfilledAmount: string;
  /** Amounts the receiver fulfilled, as it saw them (differs only if the connector applies a spread). */
  readonly receiverFulfilledAmount: string;
  readonly sender: PeerBalanceDelta;
  readonly receiver: PeerBalanceDelta;
  readonly balanced: boolean;
}

function peerDelta(
  before: BalanceMap,
  after: BalanceMap,
  peer: string,
  expected: bigint,
  url: string,
): PeerBalanceDelta & { ok: boolean } {
  const b = before.get(peer);
  const a = after.get(peer);
  if (b === undefined || a === undefined) {
    throw new BalanceFormatError(
      `${url}: no balance for peer "${peer}" (peers: ${[...after.keys()].join(', ')})`,
    );
  }
  const delta = a - b;
  return {
    peer,
    before: b.toString(),
    after: a.toString(),
    delta: delta.toString(),
    expectedDelta: expected.toString(),
    ok: delta === expected,
  };
}

export function checkBalances(input: {
  readonly url: string;
  readonly before: BalanceMap;
  readonly after: BalanceMap;
  readonly senderPeer: string;
  readonly receiverPeer: string;
  readonly fulfilledAmount: bigint;
  readonly receiverFulfilledAmount: bigint;
}): BalanceCheck {
  const s = peerDelta(input.before, input.after, input.senderPeer, input.fulfilledAmount, input.url);
  const r = peerDelta(input.before, input.after, input.receiverPeer, -input.fulfilledAmount, input.url);
  const { ok: senderOk, ...sender } = s;
  const { ok: receiverOk, ...receiver } = r;
  return {
    url: input.url,
    fulfilledAmount: input.fulfilledAmount.toString(),
    receiverFulfilledAmount: input.receiverFulfilledAmount.toString(),
    sender,
    receiver,
    balanced: senderOk && receiverOk,
  };
}

export async function fetchBalances(
  url: string,
  fetchText: (url: string) => Promise<string>,
): Promise<BalanceMap> {
  const text = await fetchText(url);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BalanceFormatError(`${url}: response is not JSON: ${text.slice(0, 120)}`);
  }
  return extractBalances(json, url);
}
