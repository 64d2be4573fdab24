import { badInput, invalidLength, invalidValue } from './errors';
import { encodeFulfill, encodePrepare } from './ilp';
import { OerReader, OerWriter } from './oer';
import { PEER_PROTOCOL_CONDITION, PEER_PROTOCOL_EXPIRY_MS, PEER_PROTOCOL_FULFILLMENT } from './peer-protocol';

/** Connector-to-Connector Protocol (route broadcasting), byte-compatible with npm ilp-protocol-ccp. */
export const CCP_CONTROL_DESTINATION = 'peer.route.control';
export const CCP_UPDATE_DESTINATION = 'peer.route.update';
export const CCP_CONDITION: Buffer = PEER_PROTOCOL_CONDITION;
export const CCP_FULFILLMENT: Buffer = PEER_PROTOCOL_FULFILLMENT;

export const enum CcpMode {
  Idle = 0,
  Sync = 1,
}

export interface CcpRouteControlRequest {
  mode: CcpMode;
  /** UUID, formatted 8-4-4-4-12 lowercase hex. */
  lastKnownRoutingTableId: string;
  lastKnownEpoch: number;
  features: string[];
}

export interface CcpRouteProp {
  isOptional: boolean;
  isTransitive: boolean;
  isPartial: boolean;
  id: number;
  isUtf8: boolean;
  /** A string when isUtf8, raw bytes otherwise. */
  value: Buffer | string;
}

export interface CcpRoute {
  prefix: string;
  path: string[];
  auth: Buffer;
  props: CcpRouteProp[];
}

export interface CcpRouteUpdateRequest {
  speaker: string;
  routingTableId: string;
  holdDownTime: number;
  currentEpochIndex: number;
  fromEpochIndex: number;
  toEpochIndex: number;
  newRoutes: CcpRoute[];
  withdrawnRoutes: string[];
}

const UUID_LENGTH = 16;
const AUTH_LENGTH = 32;
const PROP_OPTIONAL = 0x80;
const PROP_TRANSITIVE = 0x40;
const PROP_PARTIAL = 0x20;
const PROP_UTF8 = 0x10;
/** Smallest encodings, used to reject counts the remaining input cannot hold before looping. */
const MIN_ROUTE_LENGTH = 1 + 2 + AUTH_LENGTH + 2;
const MIN_PROP_LENGTH = 1 + 2 + 1;
const MIN_STRING_LENGTH = 1;

function readUuid(r: OerReader, field: string): string {
  const hex = r.readOctetString(UUID_LENGTH, field).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function writeUuid(w: OerWriter, uuid: string, field: string): void {
  const hex = typeof uuid === 'string' ? uuid.replace(/-/g, '') : '';
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw badInput(field, `expected a UUID, got ${JSON.stringify(uuid)}`);
  w.writeOctetString(Buffer.from(hex, 'hex'), UUID_LENGTH, field);
}

function readCount(r: OerReader, field: string, minItemLength: number): number {
  const pos = r.offset;
  const count = r.readVarUIntNumber(field);
  if (count * minItemLength > r.remaining()) {
    throw invalidLength(field, pos, `${count} item(s) cannot fit in the ${r.remaining()} remaining byte(s)`);
  }
  return count;
}

function checkArray<T>(a: T[], field: string): T[] {
  if (!Array.isArray(a)) throw badInput(field, 'expected an array');
  return a;
}

function peerPrepare(destination: string, data: Buffer, expiresAt: Date): Buffer {
  return encodePrepare({ amount: 0n, expiresAt, executionCondition: CCP_CONDITION, destination, data });
}

function defaultExpiry(): Date {
  return new Date(Date.now() + PEER_PROTOCOL_EXPIRY_MS);
}

/** Route control payload: mode UInt8, uuid, lastKnownEpoch UInt32, features (var-uint count, VarUtf8). */
export function encodeRouteControlRequestData(r: CcpRouteControlRequest): Buffer {
  const w = new OerWriter(64);
  if (r.mode !== CcpMode.Idle && r.mode !== CcpMode.Sync) {
    throw badInput('ccp.control.mode', `expected 0 (Idle) or 1 (Sync), got ${String(r.mode)}`);
  }
  w.writeUInt8(r.mode, 'ccp.control.mode');
  writeUuid(w, r.lastKnownRoutingTableId, 'ccp.control.lastKnownRoutingTableId');
  w.writeUInt32(r.lastKnownEpoch, 'ccp.control.lastKnownEpoch');
  const features = checkArray(r.features, 'ccp.control.features');
  w.writeVarUInt(features.length, 'ccp.control.features.count');
  features.forEach((f, i) => w.writeVarUtf8String(f, `ccp.control.features[${i}]`));
  return w.toBuffer();
}

export function encodeRouteControlRequest(
  r: CcpRouteControlRequest,
  expiresAt: Date = defaultExpiry(),
): Buffer {
  return peerPrepare(CCP_CONTROL_DESTINATION, encodeRouteControlRequestData(r), expiresAt);
}

/** Decodes the route control payload (the Prepare's data). */
export function decodeRouteControlRequest(data: Buffer): CcpRouteControlRequest {
  const r = new OerReader(data);
  const modePos = r.offset;
  const mode = r.readUInt8('ccp.control.mode');
  if (mode !== CcpMode.Idle && mode !== CcpMode.Sync) {
    throw invalidValue('ccp.control.mode', modePos, `expected 0 (Idle) or 1 (Sync), got ${mode}`);
  }
  const lastKnownRoutingTableId = readUuid(r, 'ccp.control.lastKnownRoutingTableId');
  const lastKnownEpoch = r.readUInt32('ccp.control.lastKnownEpoch');
  const count = readCount(r, 'ccp.control.features.count', MIN_STRING_LENGTH);
  const features: string[] = [];
  for (let i = 0; i < count; i++) features.push(r.readVarUtf8String(`ccp.control.features[${i}]`));
  r.ensureEnd('ccp.control');
  return { mode, lastKnownRoutingTableId, lastKnownEpoch, features };
}

/**
 * Meta byte of a route property. As in ilp-protocol-ccp: a non-optional property is always transitive,
 * and only an optional transitive property can be partial.
 */
function propMeta(prop: CcpRouteProp): number {
  let meta = 0;
  if (prop.isOptional) {
    meta |= PROP_OPTIONAL;
    if (prop.isTransitive) {
      meta |= PROP_TRANSITIVE;
      if (prop.isPartial) meta |= PROP_PARTIAL;
    }
  } else {
    meta |= PROP_TRANSITIVE;
  }
  if (prop.isUtf8) meta |= PROP_UTF8;
  return meta;
}

function writeRoute(w: OerWriter, route: CcpRoute, field: string): void {
  w.writeVarIA5String(route.prefix, `${field}.prefix`);
  const path = checkArray(route.path, `${field}.path`);
  w.writeVarUInt(path.length, `${field}.path.count`);
  path.forEach((hop, i) => w.writeVarIA5String(hop, `${field}.path[${i}]`));
  w.writeOctetString(route.auth, AUTH_LENGTH, `${field}.auth`);
  const props = checkArray(route.props, `${field}.props`);
  w.writeVarUInt(props.length, `${field}.props.count`);
  props.forEach((prop, i) => {
    const propField = `${field}.props[${i}]`;
    w.writeUInt8(propMeta(prop), `${propField}.meta`);
    w.writeUInt16(prop.id, `${propField}.id`);
    let value: Buffer;
    if (typeof prop.value === 'string' && prop.isUtf8) value = Buffer.from(prop.value, 'utf8');
    else if (Buffer.isBuffer(prop.value)) value = prop.value;
    else throw badInput(`${propField}.value`, 'expected a string (isUtf8) or a Buffer');
    w.writeVarOctetString(value, `${propField}.value`);
  });
}

/** Route update payload, field order as in ilp-protocol-ccp. */
export function encodeRouteUpdateRequestData(r: CcpRouteUpdateRequest): Buffer {
  const w = new OerWriter(256);
  writeUuid(w, r.routingTableId, 'ccp.update.routingTableId');
  w.writeUInt32(r.currentEpochIndex, 'ccp.update.currentEpochIndex');
  w.writeUInt32(r.fromEpochIndex, 'ccp.update.fromEpochIndex');
  w.writeUInt32(r.toEpochIndex, 'ccp.update.toEpochIndex');
  w.writeUInt32(r.holdDownTime, 'ccp.update.holdDownTime');
  w.writeVarIA5String(r.speaker, 'ccp.update.speaker');
  const newRoutes = checkArray(r.newRoutes, 'ccp.update.newRoutes');
  w.writeVarUInt(newRoutes.length, 'ccp.update.newRoutes.count');
  newRoutes.forEach((route, i) => writeRoute(w, route, `ccp.update.newRoutes[${i}]`));
  const withdrawn = checkArray(r.withdrawnRoutes, 'ccp.update.withdrawnRoutes');
  w.writeVarUInt(withdrawn.length, 'ccp.update.withdrawnRoutes.count');
  withdrawn.forEach((prefix, i) => w.writeVarIA5String(prefix, `ccp.update.withdrawnRoutes[${i}]`));
  return w.toBuffer();
}

export function encodeRouteUpdateRequest(
  r: CcpRouteUpdateRequest,
  expiresAt: Date = defaultExpiry(),
): Buffer {
  return peerPrepare(CCP_UPDATE_DESTINATION, encodeRouteUpdateRequestData(r), expiresAt);
}

function readRoute(r: OerReader, field: string): CcpRoute {
  const prefix = r.readVarIA5String(`${field}.prefix`);
  const pathCount = readCount(r, `${field}.path.count`, MIN_STRING_LENGTH);
  const path: string[] = [];
  for (let i = 0; i < pathCount; i++) path.push(r.readVarIA5String(`${field}.path[${i}]`));
  const auth = r.readOctetString(AUTH_LENGTH, `${field}.auth`);
  const propCount = readCount(r, `${field}.props.count`, MIN_PROP_LENGTH);
  const props: CcpRouteProp[] = [];
  for (let i = 0; i < propCount; i++) {
    const propField = `${field}.props[${i}]`;
    const meta = r.readUInt8(`${propField}.meta`);
    const id = r.readUInt16(`${propField}.id`);
    const raw = r.readVarOctetString(`${propField}.value`);
    const isUtf8 = (meta & PROP_UTF8) !== 0;
    props.push({
      isOptional: (meta & PROP_OPTIONAL) !== 0,
      isTransitive: (meta & PROP_TRANSITIVE) !== 0,
      isPartial: (meta & PROP_PARTIAL) !== 0,
      id,
      isUtf8,
      value: isUtf8 ? raw.toString('utf8') : raw,
    });
  }
  return { prefix, path, auth, props };
}

/** Decodes the route update payload (the Prepare's data). */
export function decodeRouteUpdateRequest(data: Buffer): CcpRouteUpdateRequest {
  const r = new OerReader(data);
  const routingTableId = readUuid(r, 'ccp.update.routingTableId');
  const currentEpochIndex = r.readUInt32('ccp.update.currentEpochIndex');
  const fromEpochIndex = r.readUInt32('ccp.update.fromEpochIndex');
  const toEpochIndex = r.readUInt32('ccp.update.toEpochIndex');
  const holdDownTime = r.readUInt32('ccp.update.holdDownTime');
  const speaker = r.readVarIA5String('ccp.update.speaker');
  const routeCount = readCount(r, 'ccp.update.newRoutes.count', MIN_ROUTE_LENGTH);
  const newRoutes: CcpRoute[] = [];
  for (let i = 0; i < routeCount; i++) newRoutes.push(readRoute(r, `ccp.update.newRoutes[${i}]`));
  const withdrawnCount = readCount(r, 'ccp.update.withdrawnRoutes.count', MIN_STRING_LENGTH);
  const withdrawnRoutes: string[] = [];
  for (let i = 0; i < withdrawnCount; i++) {
    withdrawnRoutes.push(r.readVarIA5String(`ccp.update.withdrawnRoutes[${i}]`));
  }
  r.ensureEnd('ccp.update');
  return {
    speaker,
    routingTableId,
    holdDownTime,
    currentEpochIndex,
    fromEpochIndex,
    toEpochIndex,
    newRoutes,
    withdrawnRoutes,
  };
}

/** The full ILP Fulfill acknowledging a CCP request. */
export function encodeCcpResponse(): Buffer {
  return encodeFulfill({ fulfillment: CCP_FULFILLMENT, data: Buffer.alloc(0) });
}
