import { BtpPacketType, encodeBtp, type BtpPacket, type BtpProtocolData } from '@ilpd/codec';
import type { ChainName, ClaimRefusal } from './channel-engine';

/**
 * The BTP sub-protocol two ilpd nodes settle over (RFC 23 leaves settlement to sub-protocols).
 *
 * - A claim travels in a BTP **Transfer** frame: `amount` is what the claim adds, in the sender's
 *   asset units (for logs; the receiver books from the cumulative amount alone), and one protocol data
 *   entry `ilpd-claim` (application/json) holds `{ chain, channelId, cumulative, signature }`, the
 *   cumulative amount in the chain's unit as a decimal string. The receiver answers a Response once the
 *   claim is durably credited (or was already), or a BTP Error F00 whose data is
 *   `<reason>: <detail>` (reason: a ClaimRefusal) when it refuses it.
 * - Each side announces where it can be paid in a BTP **Message** with one entry
 *   `ilpd-settlement-info` (application/json): `{ evm?: { address, chainId }, xrpl?: { account } }`,
 *   sent when a session comes up; it is answered with an empty Response.
 *
 * Decoders are total: anything a peer sends that does not fit is a ClaimMessageError ('malformed').
 */
export const CLAIM_PROTOCOL = 'ilpd-claim';
export const SETTLEMENT_INFO_PROTOCOL = 'ilpd-settlement-info';
const JSON_CONTENT = 2;
/** A claim or info message is a few hundred bytes; anything larger is refused unread. */
const MAX_MESSAGE_BYTES = 2048;
/** 2^256 − 1: the largest uint256 (an EVM claim); XRPL amounts are far smaller. */
const MAX_CUMULATIVE = (1n << 256n) - 1n;

export interface ClaimMessage {
  readonly chain: ChainName;
  readonly channelId: string;
  /** Total ever paid on the channel, in the chain's unit. */
  readonly cumulative: bigint;
  /** Hex, as the chain's verifier takes it. */
  readonly signature: string;
}

export interface SettlementInfo {
  readonly evm?: { readonly address: string; readonly chainId: number };
  readonly xrpl?: { readonly account: string };
}

export class ClaimMessageError extends Error {
  readonly reason: ClaimRefusal = 'malformed';
}

const CHANNEL_ID: Record<ChainName, RegExp> = {
  evm: /^0x[0-9a-fA-F]{64}$/,
  xrpl: /^[0-9a-fA-F]{64}$/,
};
const SIGNATURE = /^(0x)?[0-9a-fA-F]{2,300}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

export function encodeClaimTransfer(requestId: number, assetAmount: bigint, claim: ClaimMessage): Buffer {
  const body = {
    chain: claim.chain,
    channelId: claim.channelId,
    cumulative: claim.cumulative.toString(),
    signature: claim.signature,
  };
  return encodeBtp({
    type: BtpPacketType.Transfer,
    requestId,
    amount: assetAmount,
    protocolData: [jsonEntry(CLAIM_PROTOCOL, body)],
  });
}

/** The claim in a Transfer frame's protocol data; throws ClaimMessageError. */
export function decodeClaim(protocolData: readonly BtpProtocolData[]): ClaimMessage {
  const body = readJson(protocolData, CLAIM_PROTOCOL);
  const chain = body.chain;
  if (chain !== 'evm' && chain !== 'xrpl') throw malformed(`unknown chain ${String(chain)}`);
  const { channelId, cumulative, signature } = body;
  if (typeof channelId !== 'string' || !CHANNEL_ID[chain].test(channelId)) {
    throw malformed(`channelId is not a ${chain} channel id`);
  }
  if (typeof cumulative !== 'string' || !DECIMAL.test(cumulative)) {
    throw malformed('cumulative must be a decimal string');
  }
  const amount = BigInt(cumulative);
  if (amount > MAX_CUMULATIVE) throw malformed('cumulative is out of range');
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) {
    throw malformed('signature must be hex');
  }
  return { chain, channelId, cumulative: amount, signature };
}

export function encodeSettlementInfo(requestId: number, info: SettlementInfo): Buffer {
  return encodeBtp({
    type: BtpPacketType.Message,
    requestId,
    protocolData: [jsonEntry(SETTLEMENT_INFO_PROTOCOL, info)],
  });
}

/** A peer's announced addresses; throws ClaimMessageError. Unknown chains are ignored. */
export function decodeSettlementInfo(protocolData: readonly BtpProtocolData[]): SettlementInfo {
  const body = readJson(protocolData, SETTLEMENT_INFO_PROTOCOL);
  const info: { evm?: SettlementInfo['evm']; xrpl?: SettlementInfo['xrpl'] } = {};
  const evm = body.evm as Record<string, unknown> | undefined;
  if (evm !== undefined) {
    if (
      typeof evm !== 'object' ||
      evm === null ||
      typeof evm.address !== 'string' ||
      !/^0x[0-9a-fA-F]{40}$/.test(evm.address) ||
      !Number.isSafeInteger(evm.chainId)
    ) {
      throw malformed('evm must be { address: 0x…40 hex, chainId: integer }');
    }
    info.evm = { address: evm.address, chainId: evm.chainId as number };
  }
  const xrpl = body.xrpl as Record<string, unknown> | undefined;
  if (xrpl !== undefined) {
    if (
      typeof xrpl !== 'object' ||
      xrpl === null ||
      typeof xrpl.account !== 'string' ||
      !/^r[1-9A-HJ-NP-Za-km-z]{24,34}$/.test(xrpl.account)
    ) {
      throw malformed('xrpl must be { account: a classic address }');
    }
    info.xrpl = { account: xrpl.account };
  }
  return info;
}

/** The BTP Error that refuses a claim: F00, data `<reason>: <detail>`. */
export function claimRefusalFrame(requestId: number, reason: ClaimRefusal, detail: string): Buffer {
  return encodeBtp({
    type: BtpPacketType.Error,
    requestId,
    code: 'F00',
    name: 'NotAcceptedError',
    triggeredAt: new Date(),
    data: Buffer.from(`${reason}: ${detail}`.slice(0, 500), 'utf8'),
    protocolData: [],
  });
}

const REFUSALS: readonly ClaimRefusal[] = [
  'bad-signature',
  'not-increasing',
  'over-deposit',
  'wrong-channel',
  'channel-closing',
  'unknown-channel',
  'malformed',
  'unsafe-terms',
];

/** What a peer's answer to our claim says: accepted, or refused with a reason (undefined when unknown). */
export function readClaimAnswer(
  answer: BtpPacket,
):
  | { readonly accepted: true }
  | { readonly accepted: false; reason?: ClaimRefusal; temporary: boolean; detail: string } {
  if (answer.type === BtpPacketType.Response) return { accepted: true };
  if (answer.type !== BtpPacketType.Error) {
    return { accepted: false, temporary: false, detail: `unexpected BTP frame type ${answer.type}` };
  }
  const text = answer.data.toString('utf8');
  const reason = REFUSALS.find((r) => text.startsWith(`${r}: `));
  // T-family codes (RFC 23 reuses ILP's): the peer could not judge the claim now; sending it later may work.
  const temporary = reason === undefined && answer.code.startsWith('T');
  return { accepted: false, reason, temporary, detail: `${answer.code} ${answer.name}: ${text}` };
}

function jsonEntry(protocolName: string, body: unknown): BtpProtocolData {
  return { protocolName, contentType: JSON_CONTENT, data: Buffer.from(JSON.stringify(body), 'utf8') };
}

function readJson(protocolData: readonly BtpProtocolData[], name: string): Record<string, unknown> {
  const entry = protocolData.find((p) => p.protocolName === name);
  if (entry === undefined) throw malformed(`no ${name} protocol data`);
  if (entry.data.length > MAX_MESSAGE_BYTES) throw malformed(`${name} is over ${MAX_MESSAGE_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(entry.data.toString('utf8'));
  } catch {
    throw malformed(`${name} is not JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformed(`${name} must be a JSON object`);
  }
  return body as Record<string, unknown>;
}

function malformed(detail: string): ClaimMessageError {
  return new ClaimMessageError(detail);
}
