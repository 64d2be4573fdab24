import { badInput, invalidValue } from './errors';
import { isValidIlpAddress } from './address';
import { FulfillView, PrepareView, decodeFulfill, encodeFulfill, encodePrepare } from './ilp';
import { OerReader, OerWriter } from './oer';
import { PEER_PROTOCOL_CONDITION, PEER_PROTOCOL_EXPIRY_MS, PEER_PROTOCOL_FULFILLMENT } from './peer-protocol';

/** Interledger Dynamic Configuration Protocol (RFC 31). */
export const ILDCP_DESTINATION = 'peer.config';
export const ILDCP_CONDITION: Buffer = PEER_PROTOCOL_CONDITION;
export const ILDCP_FULFILLMENT: Buffer = PEER_PROTOCOL_FULFILLMENT;

const ILDCP_DESTINATION_BYTES = Buffer.from(ILDCP_DESTINATION, 'latin1');

export interface IldcpResponse {
  clientAddress: string;
  assetScale: number;
  assetCode: string;
}

/** A full ILP Prepare asking the parent for our address and asset (amount 0, empty data). */
export function encodeIldcpRequest(expiresAt: Date = new Date(Date.now() + PEER_PROTOCOL_EXPIRY_MS)): Buffer {
  return encodePrepare({
    amount: 0n,
    expiresAt,
    executionCondition: ILDCP_CONDITION,
    destination: ILDCP_DESTINATION,
    data: Buffer.alloc(0),
  });
}

/** True for a Prepare addressed to `peer.config` with the peer-protocol condition. */
export function isIldcpRequest(p: PrepareView): boolean {
  return p.destinationBytes.equals(ILDCP_DESTINATION_BYTES) && p.executionCondition.equals(ILDCP_CONDITION);
}

/** Response data: clientAddress VarIA5String, assetScale UInt8, assetCode VarUtf8String. */
export function encodeIldcpResponseData(r: IldcpResponse): Buffer {
  if (!isValidIlpAddress(r.clientAddress)) {
    throw badInput('ildcp.clientAddress', `not a valid ILP address: ${JSON.stringify(r.clientAddress)}`);
  }
  const w = new OerWriter(64);
  w.writeVarIA5String(r.clientAddress, 'ildcp.clientAddress');
  w.writeUInt8(r.assetScale, 'ildcp.assetScale');
  w.writeVarUtf8String(r.assetCode, 'ildcp.assetCode');
  return w.toBuffer();
}

/** A full ILP Fulfill answering an ILDCP request. */
export function encodeIldcpResponse(r: IldcpResponse): Buffer {
  return encodeFulfill({ fulfillment: ILDCP_FULFILLMENT, data: encodeIldcpResponseData(r) });
}

export function decodeIldcpResponse(fulfill: Buffer | FulfillView): IldcpResponse {
  const view = Buffer.isBuffer(fulfill) ? decodeFulfill(fulfill) : fulfill;
  if (!view.fulfillment.equals(ILDCP_FULFILLMENT)) {
    throw invalidValue(
      'ildcp.fulfillment',
      view.contentOffset,
      'not the peer-protocol fulfillment (32 zero bytes)',
    );
  }
  const r = new OerReader(view.buffer, view.dataOffset, view.buffer.length);
  const addressPos = r.offset;
  const clientAddress = r.readVarIA5String('ildcp.clientAddress');
  if (!isValidIlpAddress(clientAddress)) {
    throw invalidValue('ildcp.clientAddress', addressPos, 'not a valid ILP address');
  }
  const assetScale = r.readUInt8('ildcp.assetScale');
  const assetCode = r.readVarUtf8String('ildcp.assetCode');
  r.ensureEnd('ildcp');
  return { clientAddress, assetScale, assetCode };
}
