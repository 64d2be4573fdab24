import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { BtpPacketType, encodeBtpIlpFrame, encodePrepare } from '@ilpd/codec';
import { runPacketCommand } from '../../src/cli/packet-command';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], stdin = ''): Promise<Run> {
  const input = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  input.end(stdin);
  const code = await runPacketCommand(args, { stdin: input, stdout, stderr });
  return { code, stdout: out, stderr: err };
}

const prepareHex =
  '0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0';
const prepareJson = {
  type: 'prepare',
  amount: '107',
  executionCondition: 'dOETbcccnl8oO+yDRhy/EmHEAU9y1I+N1lRToLhOfeE=',
  expiresAt: '2017-12-23T01:21:40.549Z',
  destination: 'example.alice',
  data: 'XbND/cQYmPbfQgIykTncJC3Q9VioEbRrKJGP2rN8bLA=',
};

describe('ilpd packet decode', () => {
  it('prints a Prepare as JSON and exits 0', async () => {
    const r = await run(['decode', prepareHex]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(prepareJson);
  });

  it('reads hex from stdin with whitespace and a 0x prefix', async () => {
    const r = await run(
      ['decode', '-', '--compact'],
      `0x${prepareHex.slice(0, 20)}\n  ${prepareHex.slice(20)}\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual(prepareJson);
  });

  it('decodes a BTP frame with the ILP packet inside', async () => {
    const frame = encodeBtpIlpFrame(BtpPacketType.Message, 5, Buffer.from(prepareHex, 'hex'));
    const r = await run(['decode', frame.toString('hex')]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.type).toBe('btp.message');
    expect(json.protocolData[0].ilp).toEqual(prepareJson);
  });

  it('names the codec error, field and offset on one line and exits 1', async () => {
    const view = encodePrepare({
      amount: 1n,
      expiresAt: new Date('2030-01-01T00:00:00Z'),
      executionCondition: Buffer.alloc(32),
      destination: 'g.alice',
      data: Buffer.alloc(0),
    });
    // Claim a 9-byte destination where only 7 bytes (+ the data prefix) remain.
    const forged = Buffer.from(view);
    forged[2 + 57] = 9;
    const r = await run(['decode', forged.toString('hex')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: ILPD_CODEC_INVALID_LENGTH: prepare\.destination at offset 59: .+\n$/);
  });

  it('reports truncated input', async () => {
    const r = await run(['decode', prepareHex.slice(0, 40)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: ILPD_CODEC_INVALID_LENGTH: prepare\.envelope at offset 1: [^\n]+\n$/);
  });

  it.each([
    ['zz', /^error: invalid hex: unexpected character "z" at position 0\n$/],
    ['abc', /^error: invalid hex: odd number of digits \(3\)\n$/],
    ['63', /^error: ILPD_CODEC_UNKNOWN_TYPE: packet\.type at offset 0: [^\n]+\n$/],
  ])('rejects %s with exit code 1', async (hex, message) => {
    const r = await run(['decode', hex]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('ilpd packet encode', () => {
  it('prints the hex of a JSON packet and exits 0', async () => {
    const r = await run(['encode', JSON.stringify(prepareJson)]);
    expect(r).toEqual({ code: 0, stdout: `${prepareHex}\n`, stderr: '' });
  });

  it('reads JSON from stdin and round-trips what decode prints', async () => {
    const decoded = await run(['decode', prepareHex]);
    const r = await run(['encode', '-'], decoded.stdout);
    expect(r.stdout).toBe(`${prepareHex}\n`);
  });

  it('names a bad JSON field and exits 1', async () => {
    const r = await run(['encode', JSON.stringify({ ...prepareJson, amount: '-5' })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: ILPD_CODEC_INVALID_VALUE: amount: expected a decimal string such as "1000", got "-5"\n',
    );
  });

  it('reports unparseable JSON on one line', async () => {
    const r = await run(['encode', '{"type":']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: invalid JSON: [^\n]+\n$/);
  });
});

describe('ilpd packet usage', () => {
  it('prints help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ilpd packet decode <hex|->');
    expect(r.stdout).toContain('ilpd packet encode <json|->');
  });

  it.each([[[]], [['frobnicate']], [['decode']], [['decode', 'aa', 'bb']], [['encode', '{}', '--compact']]])(
    'rejects bad usage %j with a one-line error and exit code 2',
    async (args) => {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
    },
  );
});

describe('ilpd packet via the built CLI', () => {
  const cli = resolve(__dirname, '../../dist/cli.js');

  function spawnCli(args: string[]): Promise<Run> {
    return new Promise((done) => {
      execFile(process.execPath, [cli, 'packet', ...args], (error, stdout, stderr) => {
        done({ code: error ? Number(error.code) : 0, stdout, stderr });
      });
    });
  }

  it('decodes a packet and exits 0', async () => {
    const r = await spawnCli(['decode', prepareHex]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(prepareJson);
  });

  it('prints the help embedded in the example and that example decodes', async () => {
    const help = await spawnCli(['--help']);
    expect(help.code).toBe(0);
    const example = /ilpd packet decode ([0-9a-f]+)/.exec(help.stdout);
    expect(example).not.toBeNull();
    const r = await spawnCli(['decode', example?.[1] ?? '']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).type).toBe('fulfill');
  });

  it('exits 1 with a one-line error on bad input', async () => {
    const r = await spawnCli(['decode', prepareHex.slice(0, 30)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: ILPD_CODEC_INVALID_LENGTH: prepare\.envelope at offset 1: [^\n]+\n$/);
  });
});
