/**
 * A misbehaving peer as a process of its own, for the isolation suites and `npm run chaos`:
 *
 *   node -r test/helpers/register-ts.cjs test/isolation/support/hostile-peer.ts '<json HostileRole>'
 *
 * It prints one JSON line `{"event":"ready"}` once it is doing its harm, and on SIGTERM one line
 * `{"event":"stats",...}` with what it saw, then exits. Roles:
 * - flood: authenticates and sends Prepares as fast as its socket drains (optionally with data beyond
 *   RFC 27's bound, or inside maximum-size BTP frames padded with other protocol data), counting
 *   answers by code; reconnects if it is dropped;
 * - black-hole: authenticates and never answers a Prepare;
 * - slow-reader: authenticates and then reads its socket for 1 ms every 500 ms; reconnects when dropped;
 * - preauth-hog: holds `count` connections that upgrade to WebSocket and never authenticate, each
 *   sending `partialBytes` of a frame it never finishes, from `sources` local addresses; reopens any
 *   that close, at once.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import {
  BtpPacketType,
  decodeReject,
  encodeBtp,
  encodeBtpIlpFrame,
  encodePrepare,
  findBtpIlpData,
  peekBtpHeader,
} from '@ilpd/codec';
import { BtpSession } from '../../../packages/loadgen/src/btp/btp-session';

export type HostileRole =
  | {
      readonly role: 'flood';
      readonly url: string;
      readonly username: string;
      readonly token: string;
      readonly destination: string;
      readonly amount?: number;
      /** Bytes of ILP data; above 32,767 the Prepare is forged (the codec refuses to encode it). */
      readonly dataBytes?: number;
      /** Other protocol data in each frame, to make it as large as btp.maxPayloadBytes allows. */
      readonly junkBytes?: number;
      /** Most Prepares unanswered at once. */
      readonly window?: number;
    }
  | {
      readonly role: 'black-hole' | 'slow-reader';
      readonly url: string;
      readonly username: string;
      readonly token: string;
    }
  | {
      readonly role: 'preauth-hog';
      readonly host: string;
      readonly port: number;
      readonly count: number;
      readonly sources: readonly string[];
      readonly partialBytes?: number;
    };

const role = JSON.parse(process.argv[2] ?? '{}') as HostileRole;
const stats: Record<string, number> = {};
const count = (key: string, n = 1): void => {
  stats[key] = (stats[key] ?? 0) + n;
};
let stopping = false;

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** A Prepare with `dataBytes` of data, forged past the codec's refusal when above 32,767 bytes. */
export function forgePrepare(destination: string, amount: number, dataBytes: number): Buffer {
  const fits = Math.min(dataBytes, 32_767);
  const valid = encodePrepare({
    amount: BigInt(amount),
    expiresAt: new Date(Date.now() + 30_000),
    executionCondition: randomBytes(32),
    destination,
    data: Buffer.alloc(fits, 7),
  });
  if (dataBytes === fits) return valid;
  // Both the envelope and the data have 3-byte length prefixes at this size; grow them.
  const head = valid.subarray(4, valid.length - fits - 3);
  const data = Buffer.alloc(dataBytes, 7);
  const contents = Buffer.concat([head, Buffer.from([0x82, dataBytes >> 8, dataBytes & 0xff]), data]);
  return Buffer.concat([Buffer.from([12, 0x82, contents.length >> 8, contents.length & 0xff]), contents]);
}

function classify(frame: Buffer): void {
  const { type } = peekBtpHeader(frame);
  if (type === BtpPacketType.Error) return count('btp_error');
  const ilp = findBtpIlpData(frame);
  if (ilp === undefined) return count('empty');
  if (ilp[0] === 13) return count('fulfilled');
  if (ilp[0] === 14) return count(decodeReject(ilp).code);
  count('other');
}

async function flood(r: Extract<HostileRole, { role: 'flood' }>): Promise<void> {
  const window = r.window ?? 20_000;
  let outstanding = 0;
  let frame = Buffer.alloc(0);
  const rebuild = (): void => {
    const ilp = forgePrepare(r.destination, r.amount ?? 1, r.dataBytes ?? 0);
    if (r.junkBytes === undefined) {
      frame = encodeBtpIlpFrame(BtpPacketType.Message, 0, ilp);
      return;
    }
    frame = encodeBtp({
      type: BtpPacketType.Message,
      requestId: 0,
      protocolData: [
        { protocolName: 'junk', contentType: 0, data: Buffer.alloc(r.junkBytes, 1) },
        { protocolName: 'ilp', contentType: 0, data: ilp },
      ],
    });
  };
  rebuild();
  const refresh = setInterval(rebuild, 1000);
  let session: BtpSession | undefined;
  let announced = false;
  for (;;) {
    if (stopping) break;
    const s = new BtpSession(
      { url: r.url, username: r.username, token: r.token, maxPayloadBytes: 64 << 20 },
      {
        onResponse: (_id, _type, answer) => {
          outstanding--;
          classify(answer);
        },
      },
    );
    session = s;
    try {
      await s.connect();
    } catch {
      count('connect_failed');
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    outstanding = 0;
    if (!announced) {
      announced = true;
      emit({ event: 'ready' });
    }
    while (!stopping && s.connected) {
      let sent = 0;
      while (s.bufferedBytes < 512 * 1024 && outstanding < window && sent < 2000) {
        frame.writeUInt32BE(s.allocateRequestId(), 1);
        s.sendFrame(frame);
        outstanding++;
        sent++;
      }
      count('sent', sent);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!stopping) {
      count('dropped');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  clearInterval(refresh);
  await session?.close();
}

/** Connects and misbehaves; when ilpd drops the connection (as it should a slow reader), comes back. */
async function authenticatedIdler(
  r: Extract<HostileRole, { role: 'black-hole' | 'slow-reader' }>,
): Promise<void> {
  let announced = false;
  while (!stopping) {
    let closed: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (closed = resolve));
    const session = new BtpSession(
      { url: r.url, username: r.username, token: r.token },
      {
        onIlpRequest: () => count('held'),
        onClose: () => {
          count('closed');
          closed();
        },
      },
    );
    await session.connect();
    let trickle: NodeJS.Timeout | undefined;
    if (r.role === 'slow-reader') {
      // Reads for a millisecond every half second: far slower than ilpd writes, yet it notices when
      // ilpd drops it (a socket never read again would not even see its close).
      const socket = (session as unknown as { socket: Socket }).socket;
      socket.pause();
      trickle = setInterval(() => {
        socket.resume();
        setTimeout(() => socket.pause(), 1);
      }, 500);
    }
    if (!announced) {
      announced = true;
      emit({ event: 'ready' });
    }
    await done;
    clearInterval(trickle);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function preauthHog(r: Extract<HostileRole, { role: 'preauth-hog' }>): void {
  let upgrades = 0;
  const openOne = (index: number): void => {
    if (stopping) return;
    count('opened');
    const socket = tcpConnect({
      host: r.host,
      port: r.port,
      localAddress: r.sources[index % r.sources.length],
    });
    socket.on('error', () => undefined);
    let upgraded = false;
    socket.once('connect', () => {
      socket.write(
        'GET / HTTP/1.1\r\nHost: ilpd\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (upgraded || !chunk.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      upgrades++;
      count('upgraded');
      if (upgrades === r.count) emit({ event: 'ready' });
      const partial = r.partialBytes ?? 0;
      if (partial > 0) {
        // A masked binary frame announcing 1 MB, of which only `partial` bytes ever come (the last 4
        // header bytes are the mask key).
        const header = Buffer.alloc(14);
        header[0] = 0x82;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(1_000_000n, 2);
        socket.write(Buffer.concat([header, Buffer.alloc(partial, 9)]));
      }
    });
    socket.once('close', () => {
      count('closed');
      if (!stopping) setImmediate(() => openOne(index));
    });
  };
  for (let i = 0; i < r.count; i++) openOne(i);
}

process.on('SIGTERM', () => {
  stopping = true;
  emit({ event: 'stats', role: role.role, ...stats });
  setTimeout(() => process.exit(0), 50);
});

switch (role.role) {
  case 'flood':
    void flood(role);
    break;
  case 'black-hole':
  case 'slow-reader':
    void authenticatedIdler(role).catch((err: Error) => {
      emit({ event: 'error', message: err.message });
      process.exit(1);
    });
    break;
  case 'preauth-hog':
    preauthHog(role);
    break;
  default:
    emit({ event: 'error', message: `unknown role ${JSON.stringify(role)}` });
    process.exit(2);
}
