import { isCodecError, packetFromJson, packetToJson } from '@ilpd/codec';

/** `ilpd packet decode|encode`: the operator's view of ILP and BTP bytes, via the codec's JSON form. */

export interface PacketCommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const EXIT_OK = 0;
/** Bad input: not hex, not JSON, or bytes/fields the codec rejects. */
const EXIT_BAD_INPUT = 1;
/** Bad usage: unknown subcommand or missing argument (as everywhere in the ilpd CLI). */
const EXIT_USAGE = 2;
/** Largest stdin accepted; far above any ILP/BTP packet, small enough to never exhaust memory. */
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

const HELP = `ilpd packet — encode and decode ILP (RFC 27) and BTP (RFC 23) packets

Usage:
  ilpd packet decode <hex|->      print the packet as JSON (type auto-detected: ILP 12/13/14, BTP 1/2/6/7)
         [--compact]              ... on one line
  ilpd packet encode <json|->     print the packet's bytes as hex
  ilpd packet --help

'-' reads the argument from stdin. Hex may contain whitespace and a 0x prefix.
JSON form: amounts are decimal strings, buffers base64, times ISO-8601, plus "type" (prepare, fulfill,
reject, btp.response, btp.error, btp.message, btp.transfer). An "ilp" protocol data entry also shows
its ILP packet under "ilp"; to encode from an edited "ilp", remove that entry's "data".

Examples:
  ilpd packet decode 0d21000000000000000000000000000000000000000000000000000000000000000000
  ilpd packet decode - < packet.hex | jq .
  ilpd packet encode '{"type":"fulfill","fulfillment":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","data":""}'

Exit codes: 0 ok, 1 bad input (the one-line error names the field and byte offset), 2 bad usage.
`;

class InputError extends Error {}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > MAX_STDIN_BYTES) throw new InputError(`stdin exceeds ${MAX_STDIN_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseHex(text: string): Buffer {
  let hex = text.replace(/\s+/g, '');
  if (hex.startsWith('0x') || hex.startsWith('0X')) hex = hex.slice(2);
  if (hex.length === 0) throw new InputError('invalid hex: empty input');
  const bad = hex.search(/[^0-9a-fA-F]/);
  if (bad >= 0)
    throw new InputError(`invalid hex: unexpected character ${JSON.stringify(hex[bad])} at position ${bad}`);
  if (hex.length % 2 !== 0) throw new InputError(`invalid hex: odd number of digits (${hex.length})`);
  return Buffer.from(hex, 'hex');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`invalid JSON: ${(err as Error).message}`);
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', resolve);
  });
}

/** Runs `ilpd packet <args…>`; returns the exit code. Never throws for bad input. */
export async function runPacketCommand(args: string[], io: PacketCommandIo): Promise<number> {
  const flags = args.filter((a) => a.startsWith('--') && a !== '--');
  const positional = args.filter((a) => !a.startsWith('--') || a === '--');
  if (flags.includes('--help') || args.includes('-h') || positional[0] === 'help') {
    await write(io.stdout, HELP);
    return EXIT_OK;
  }
  const [command, input, ...extra] = positional;
  const unknownFlag = flags.find((f) => f !== '--compact' || command !== 'decode');
  if (command !== 'decode' && command !== 'encode') {
    const what = command === undefined ? 'missing command' : `unknown command ${JSON.stringify(command)}`;
    await write(io.stderr, `error: ${what}; expected 'decode' or 'encode' (see ilpd packet --help)\n`);
    return EXIT_USAGE;
  }
  if (unknownFlag !== undefined || input === undefined || extra.length > 0) {
    const what =
      unknownFlag !== undefined
        ? `unknown option ${unknownFlag}`
        : input === undefined
          ? `missing argument: ilpd packet ${command} <${command === 'decode' ? 'hex' : 'json'}|->`
          : `unexpected argument ${JSON.stringify(extra[0])}`;
    await write(io.stderr, `error: ${what} (see ilpd packet --help)\n`);
    return EXIT_USAGE;
  }
  try {
    const text = input === '-' ? await readStdin(io.stdin) : input;
    if (command === 'decode') {
      const json = packetToJson(parseHex(text));
      await write(io.stdout, `${JSON.stringify(json, null, flags.includes('--compact') ? undefined : 2)}\n`);
    } else {
      await write(io.stdout, `${packetFromJson(parseJson(text)).toString('hex')}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    if (isCodecError(err)) {
      await write(io.stderr, `error: ${err.code}: ${oneLine(err.message)}\n`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof InputError) {
      await write(io.stderr, `error: ${oneLine(err.message)}\n`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}
