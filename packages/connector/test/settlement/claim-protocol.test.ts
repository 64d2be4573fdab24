import * as Btp from 'btp-packet';
import { BtpPacketType, decodeBtp } from '@ilpd/codec';
import {
  claimRefusalFrame,
  decodeClaim,
  decodeSettlementInfo,
  encodeClaimTransfer,
  encodeSettlementInfo,
  readClaimAnswer,
  CLAIM_PROTOCOL,
  type ClaimMessage,
} from '../../src/settlement/claim-protocol';

const evmClaim: ClaimMessage = {
  chain: 'evm',
  channelId: `0x${'ab'.repeat(32)}`,
  cumulative: 123_456_789_000_000_000n,
  signature: `0x${'11'.repeat(65)}`,
};

function transferWith(body: unknown): Btp.BtpPacket {
  return {
    type: Btp.TYPE_TRANSFER,
    requestId: 1,
    data: {
      amount: '5',
      protocolData: [
        {
          protocolName: CLAIM_PROTOCOL,
          contentType: Btp.MIME_APPLICATION_JSON,
          data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
        },
      ],
    },
  };
}

function decodeFromReference(packet: Btp.BtpPacket): ClaimMessage {
  const ours = decodeBtp(Btp.serialize(packet));
  return decodeClaim(ours.protocolData);
}

describe('settlement claim protocol (BTP framing)', () => {
  it('writes a BTP Transfer that the reference btp-packet reads: amount and the ilpd-claim JSON entry', () => {
    const frame = encodeClaimTransfer(42, 5000n, evmClaim);
    const reference = Btp.deserialize(frame);
    expect(reference.type).toBe(Btp.TYPE_TRANSFER);
    expect(reference.requestId).toBe(42);
    const data = reference.data as { amount: string; protocolData: Btp.ProtocolData[] };
    expect(data.amount).toBe('5000');
    expect(data.protocolData).toHaveLength(1);
    expect(data.protocolData[0]).toMatchObject({
      protocolName: 'ilpd-claim',
      contentType: Btp.MIME_APPLICATION_JSON,
    });
    expect(JSON.parse(data.protocolData[0].data.toString())).toEqual({
      chain: 'evm',
      channelId: evmClaim.channelId,
      cumulative: '123456789000000000',
      signature: evmClaim.signature,
    });
  });

  it('reads back a claim framed by btp-packet, cumulative exact beyond 2^53', () => {
    const body = { ...evmClaim, cumulative: evmClaim.cumulative.toString() };
    expect(decodeFromReference(transferWith(body))).toEqual(evmClaim);
    const xrpl = {
      chain: 'xrpl',
      channelId: 'C'.repeat(64),
      cumulative: '1000000',
      signature: 'AB'.repeat(64),
    };
    expect(decodeFromReference(transferWith(xrpl))).toMatchObject({ chain: 'xrpl', cumulative: 1_000_000n });
  });

  it.each([
    ['not JSON', '{', 'is not JSON'],
    ['an array', '[1]', 'must be a JSON object'],
    ['an unknown chain', { ...evmClaim, chain: 'btc', cumulative: '1' }, 'unknown chain btc'],
    ['an EVM id of the wrong length', { ...evmClaim, channelId: '0x12', cumulative: '1' }, 'channelId'],
    ['a negative cumulative', { ...evmClaim, cumulative: '-1' }, 'decimal string'],
    ['a cumulative as a number', { ...evmClaim, cumulative: 5 }, 'decimal string'],
    ['a cumulative over 2^256', { ...evmClaim, cumulative: (1n << 256n).toString() }, 'out of range'],
    ['a signature that is not hex', { ...evmClaim, cumulative: '1', signature: 'zz' }, 'hex'],
  ])('refuses a claim with %s as malformed', (_name, body, message) => {
    let caught: unknown;
    try {
      decodeFromReference(transferWith(body));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ reason: 'malformed' });
    expect((caught as Error).message).toContain(message);
  });

  it('refuses an oversized entry and a frame without the entry', () => {
    expect(() => decodeFromReference(transferWith('x'.repeat(5000)))).toThrow('over 2048 bytes');
    expect(() => decodeClaim([])).toThrow('no ilpd-claim protocol data');
  });

  it('announces and reads settlement addresses, ignoring unknown chains', () => {
    const info = { evm: { address: `0x${'12'.repeat(20)}`, chainId: 31337 } };
    const frame = decodeBtp(encodeSettlementInfo(3, info));
    expect(frame.type).toBe(BtpPacketType.Message);
    expect(decodeSettlementInfo(frame.protocolData)).toEqual(info);
    const withOther = decodeBtp(
      encodeSettlementInfo(4, { ...info, xrpl: { account: 'rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe' } }),
    );
    expect(decodeSettlementInfo(withOther.protocolData).xrpl).toEqual({
      account: 'rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe',
    });
    expect(() =>
      decodeSettlementInfo(
        decodeBtp(encodeSettlementInfo(5, { evm: { address: 'x', chainId: 1 } })).protocolData,
      ),
    ).toThrow('evm must be');
  });

  it('refuses with a BTP Error F00 that btp-packet reads and whose reason the sender recognises', () => {
    const frame = claimRefusalFrame(9, 'not-increasing', 'cumulative 5 is not above the best claim 5');
    const reference = Btp.deserialize(frame);
    expect(reference.type).toBe(Btp.TYPE_ERROR);
    expect(reference.data).toMatchObject({ code: 'F00', name: 'NotAcceptedError' });
    expect(readClaimAnswer(decodeBtp(frame))).toEqual({
      accepted: false,
      reason: 'not-increasing',
      temporary: false,
      detail: 'F00 NotAcceptedError: not-increasing: cumulative 5 is not above the best claim 5',
    });
    expect(readClaimAnswer({ type: BtpPacketType.Response, requestId: 9, protocolData: [] })).toEqual({
      accepted: true,
    });
  });
});
