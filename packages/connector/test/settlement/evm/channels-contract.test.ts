import {
  AbiCoder,
  Contract,
  ContractFactory,
  Signature,
  Wallet,
  getBytes,
  hexlify,
  keccak256,
  type ContractTransactionResponse,
  type InterfaceAbi,
} from 'ethers';
import { compileContract } from '../../../../../contracts/compile';
import { CHANNELS_CONTRACT } from '../../../src/settlement/evm/contract-artifact';
import { claimDigest, signClaim, type ChannelClaim } from '../../../src/settlement/evm/claim-signature';
import { SECP256K1_ORDER } from '../../../src/settlement/evm/secp256k1-known-key';
import {
  CHALLENGE_PERIOD,
  ETH,
  deployChannels,
  receiptOf,
  revertOf,
  startChain,
  stopChain,
  type Chain,
} from './support';

/**
 * The payment-channel contract on a real anvil: every state change and every revert path. Calls go
 * straight through ethers; claims are signed with claim-signature.ts.
 */
const Status = { None: 0n, Open: 1n, Closing: 2n, Closed: 3n };

let chain: Chain;
let channels: Contract;
let contractAddress: string;
let sender: Wallet;
let receiver: Wallet;
let stranger: Wallet;

beforeAll(async () => {
  chain = await startChain();
  [sender, receiver, stranger] = chain.wallets;
  channels = await deployChannels(chain.wallets[9]);
  contractAddress = await channels.getAddress();
}, 60_000);

afterAll(() => stopChain(chain));

function as(wallet: Wallet): Contract {
  return channels.connect(wallet) as Contract;
}

async function mined(tx: Promise<ContractTransactionResponse>) {
  return receiptOf(tx);
}

async function openChannel(deposit = ETH, from = sender, to = receiver): Promise<string> {
  const receipt = await mined(as(from).open(to.address, { value: deposit }));
  const event = receipt.logs
    .map((log) => channels.interface.parseLog(log))
    .find((e) => e?.name === 'ChannelOpened');
  return event?.args.channelId as string;
}

function claimOf(channelId: string, cumulative: bigint, overrides: Partial<ChannelClaim> = {}): ChannelClaim {
  return { chainId: 31337n, contract: contractAddress, channelId, cumulative, ...overrides };
}

function sign(
  channelId: string,
  cumulative: bigint,
  by = sender,
  overrides: Partial<ChannelClaim> = {},
): string {
  return signClaim(by.privateKey, claimOf(channelId, cumulative, overrides));
}

/** The same signature with s → n − s and v flipped: valid for plain ecrecover, refused by the contract. */
function highS(signature: string): string {
  const sig = Signature.from(signature);
  const s = SECP256K1_ORDER - BigInt(sig.s);
  const bytes = getBytes(signature);
  bytes.set(getBytes(`0x${s.toString(16).padStart(64, '0')}`), 32);
  bytes[64] = sig.v === 27 ? 28 : 27;
  return hexlify(bytes);
}

async function channel(channelId: string) {
  const [senderAddress, closesAt, status, receiverAddress, deposit, paidOut] =
    await channels.getChannel(channelId);
  return { sender: senderAddress, closesAt, status, receiver: receiverAddress, deposit, paidOut };
}

describe('deployment', () => {
  it('refuses a challenge period outside [1 hour, 30 days]', async () => {
    const factory = new ContractFactory(
      CHANNELS_CONTRACT.abi as InterfaceAbi,
      CHANNELS_CONTRACT.bytecode,
      sender,
    );
    for (const period of [3599, 30 * 24 * 3600 + 1]) {
      expect(await revertOf(factory.deploy(period))).toEqual({
        name: 'ChallengePeriodOutOfRange',
        args: [BigInt(period), 3600n, 2592000n],
      });
    }
    expect(await channels.challengePeriod()).toBe(BigInt(CHALLENGE_PERIOD));
  });
});

describe('open', () => {
  it('opens a channel holding the deposit, with an id derived from a counter that only grows', async () => {
    const countBefore = (await channels.channelCount()) as bigint;
    const first = await openChannel(2n * ETH);
    const second = await openChannel(3n * ETH);
    expect(first).not.toBe(second);
    expect(await channels.channelCount()).toBe(countBefore + 2n);
    const expectedId = keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ['uint256', 'address', 'address', 'address', 'uint256'],
        [31337n, contractAddress, sender.address, receiver.address, countBefore + 1n],
      ),
    );
    expect(first).toBe(expectedId);
    expect(await channel(first)).toEqual({
      sender: sender.address,
      closesAt: 0n,
      status: Status.Open,
      receiver: receiver.address,
      deposit: 2n * ETH,
      paidOut: 0n,
    });
    expect(await chain.provider.getBalance(contractAddress)).toBeGreaterThanOrEqual(5n * ETH);
  });

  it('refuses no deposit, the zero address and a channel to oneself', async () => {
    expect(await revertOf(as(sender).open(receiver.address, { value: 0n }))).toEqual({
      name: 'ZeroDeposit',
      args: [],
    });
    const zero = '0x0000000000000000000000000000000000000000';
    expect(await revertOf(as(sender).open(zero, { value: 1n }))).toEqual({
      name: 'InvalidReceiver',
      args: [zero],
    });
    expect(await revertOf(as(sender).open(sender.address, { value: 1n }))).toEqual({
      name: 'InvalidReceiver',
      args: [sender.address],
    });
  });
});

describe('topUp', () => {
  it("adds to the sender's open channel", async () => {
    const id = await openChannel(ETH);
    const receipt = await mined(as(sender).topUp(id, { value: ETH / 2n }));
    const event = channels.interface.parseLog(receipt.logs[0]);
    expect(event?.name).toBe('ChannelToppedUp');
    expect(event?.args.deposit).toBe((3n * ETH) / 2n);
    expect((await channel(id)).deposit).toBe((3n * ETH) / 2n);
  });

  it('refuses strangers, nothing, unknown ids, closing and closed channels', async () => {
    const id = await openChannel(ETH);
    expect(await revertOf(as(stranger).topUp(id, { value: 1n }))).toEqual({
      name: 'NotSender',
      args: [id, stranger.address],
    });
    expect(await revertOf(as(sender).topUp(id, { value: 0n }))).toEqual({ name: 'ZeroDeposit', args: [] });
    const unknown = hexlify(new Uint8Array(32).fill(7));
    expect(await revertOf(as(sender).topUp(unknown, { value: 1n }))).toEqual({
      name: 'UnknownChannel',
      args: [unknown],
    });
    await mined(as(sender).startClose(id));
    expect(await revertOf(as(sender).topUp(id, { value: 1n }))).toEqual({
      name: 'ChannelNotOpen',
      args: [id, Status.Closing],
    });
    await mined(as(receiver).closeByReceiver(id, 0n, sign(id, 0n)));
    expect(await revertOf(as(sender).topUp(id, { value: 1n }))).toEqual({
      name: 'ChannelNotOpen',
      args: [id, Status.Closed],
    });
  });
});

describe('claim (redeem, channel stays open)', () => {
  it('pays the receiver exactly the increase over what it was paid, and keeps the channel open', async () => {
    const id = await openChannel(ETH);
    const before = await chain.provider.getBalance(receiver.address);
    const first = await mined(as(receiver).claim(id, 100n, sign(id, 100n)));
    const second = await mined(as(receiver).claim(id, 250n, sign(id, 250n)));
    const gas = first.fee + second.fee;
    expect(await chain.provider.getBalance(receiver.address)).toBe(before + 250n - gas);
    const events = second.logs.map((log) => channels.interface.parseLog(log));
    expect(events.map((e) => [e?.name, e?.args.cumulativeAmount, e?.args.payout])).toEqual([
      ['ChannelClaimed', 250n, 150n],
    ]);
    expect(await channel(id)).toMatchObject({ status: Status.Open, paidOut: 250n, deposit: ETH });
  });

  it('refuses a claim that does not increase, exceeds the deposit, or comes from anyone but the receiver', async () => {
    const id = await openChannel(1000n);
    await mined(as(receiver).claim(id, 500n, sign(id, 500n)));
    expect(await revertOf(as(receiver).claim(id, 500n, sign(id, 500n)))).toEqual({
      name: 'ClaimNotIncreasing',
      args: [500n, 500n],
    });
    expect(await revertOf(as(receiver).claim(id, 400n, sign(id, 400n)))).toEqual({
      name: 'ClaimNotIncreasing',
      args: [400n, 500n],
    });
    expect(await revertOf(as(receiver).claim(id, 1001n, sign(id, 1001n)))).toEqual({
      name: 'ClaimExceedsDeposit',
      args: [1001n, 1000n],
    });
    expect(await revertOf(as(stranger).claim(id, 600n, sign(id, 600n)))).toEqual({
      name: 'NotReceiver',
      args: [id, stranger.address],
    });
    expect(await revertOf(as(sender).claim(id, 600n, sign(id, 600n)))).toEqual({
      name: 'NotReceiver',
      args: [id, sender.address],
    });
  });

  it('refuses signatures by anyone but the sender, and malformed or high-s encodings', async () => {
    const id = await openChannel(1000n);
    expect(await revertOf(as(receiver).claim(id, 10n, sign(id, 10n, stranger)))).toEqual({
      name: 'WrongSigner',
      args: [stranger.address, sender.address],
    });
    expect(await revertOf(as(receiver).claim(id, 10n, sign(id, 10n, receiver)))).toEqual({
      name: 'WrongSigner',
      args: [receiver.address, sender.address],
    });
    const good = sign(id, 10n);
    const high = highS(good);
    expect(await revertOf(as(receiver).claim(id, 10n, high))).toEqual({
      name: 'InvalidSignatureS',
      args: [BigInt(`0x${high.slice(66, 130)}`)],
    });
    const v29 = `${good.slice(0, 130)}1d`;
    expect(await revertOf(as(receiver).claim(id, 10n, v29))).toEqual({
      name: 'InvalidSignatureV',
      args: [29n],
    });
    const v0 = `${good.slice(0, 130)}00`;
    expect(await revertOf(as(receiver).claim(id, 10n, v0))).toEqual({
      name: 'InvalidSignatureV',
      args: [0n],
    });
    expect(await revertOf(as(receiver).claim(id, 10n, good.slice(0, 128)))).toEqual({
      name: 'InvalidSignatureLength',
      args: [63n],
    });
    // r = 0 recovers no key at all.
    const zeroR = `0x${'00'.repeat(32)}${good.slice(66)}`;
    expect((await revertOf(as(receiver).claim(id, 10n, zeroR))).name).toBe('WrongSigner');
    // A tampered amount recovers some other address.
    expect((await revertOf(as(receiver).claim(id, 11n, good))).name).toBe('WrongSigner');
    // And the untampered claim still goes through.
    await mined(as(receiver).claim(id, 10n, good));
  });

  it('refuses a claim signed for another channel, another contract or another chain', async () => {
    const id = await openChannel(1000n);
    const other = await openChannel(1000n);
    const otherContract = await (await deployChannels(stranger)).getAddress();
    for (const signature of [
      sign(other, 100n), // the sender's valid claim on its other channel
      sign(id, 100n, sender, { contract: otherContract }),
      sign(id, 100n, sender, { chainId: 1n }),
      sign(id, 100n, sender, { chainId: 1337n }),
    ]) {
      const revert = await revertOf(as(receiver).claim(id, 100n, signature));
      expect(revert.name).toBe('WrongSigner');
      expect(revert.args[1]).toBe(sender.address);
    }
    // The digest the contract checks is claimDigest's.
    expect(await channels.claimDigest(id, 100n)).toBe(hexlify(claimDigest(claimOf(id, 100n))));
  });
});

describe('closeByReceiver', () => {
  it('pays the receiver its best claim, refunds the rest to the sender, and closes for good', async () => {
    const id = await openChannel(ETH);
    await mined(as(receiver).claim(id, 1000n, sign(id, 1000n)));
    const receiverBefore = await chain.provider.getBalance(receiver.address);
    const senderBefore = await chain.provider.getBalance(sender.address);
    const receipt = await mined(as(receiver).closeByReceiver(id, 4000n, sign(id, 4000n)));
    expect(await chain.provider.getBalance(receiver.address)).toBe(receiverBefore + 3000n - receipt.fee);
    expect(await chain.provider.getBalance(sender.address)).toBe(senderBefore + ETH - 4000n);
    const events = receipt.logs.map((log) => channels.interface.parseLog(log)?.name);
    expect(events).toEqual(['ChannelClaimed', 'ChannelClosed']);
    expect(await channel(id)).toMatchObject({ status: Status.Closed, paidOut: 4000n });

    const closed = { name: 'ChannelAlreadyClosed', args: [id] };
    expect(await revertOf(as(receiver).closeByReceiver(id, 4000n, sign(id, 4000n)))).toEqual(closed);
    expect(await revertOf(as(receiver).claim(id, 5000n, sign(id, 5000n)))).toEqual(closed);
    expect(await revertOf(as(sender).startClose(id))).toEqual({
      name: 'ChannelNotOpen',
      args: [id, Status.Closed],
    });
    expect(await revertOf(as(sender).finishClose(id))).toEqual({
      name: 'ChannelNotClosing',
      args: [id, Status.Closed],
    });
  });

  it('closes with the claim already redeemed, but never below it, and only for the receiver', async () => {
    const id = await openChannel(1000n);
    await mined(as(receiver).claim(id, 300n, sign(id, 300n)));
    expect(await revertOf(as(receiver).closeByReceiver(id, 200n, sign(id, 200n)))).toEqual({
      name: 'ClaimNotIncreasing',
      args: [200n, 300n],
    });
    expect(await revertOf(as(stranger).closeByReceiver(id, 300n, sign(id, 300n)))).toEqual({
      name: 'NotReceiver',
      args: [id, stranger.address],
    });
    expect(await revertOf(as(receiver).closeByReceiver(id, 1001n, sign(id, 1001n)))).toEqual({
      name: 'ClaimExceedsDeposit',
      args: [1001n, 1000n],
    });
    const receipt = await mined(as(receiver).closeByReceiver(id, 300n, sign(id, 300n)));
    const events = receipt.logs.map((log) => channels.interface.parseLog(log));
    expect(events.map((e) => e?.name)).toEqual(['ChannelClosed']);
    expect(events[0]?.args.refundedToSender).toBe(700n);
  });

  it('cannot be blocked by a sender that refuses its refund: the refund waits for it', async () => {
    // The sender's account runs code that reverts on receiving ETH (EIP-7702 delegation), yet still signs.
    const payer = chain.wallets[5];
    const compiled = compileContract('test/RefundRejectingWallet.sol', 'RefundRejectingWallet');
    const factory = new ContractFactory(compiled.abi as InterfaceAbi, compiled.bytecode, stranger);
    const rejecting = await factory.deploy();
    await receiptOf(rejecting.deploymentTransaction());
    const delegate = async (to: string) => {
      const authorization = await payer.authorize({
        address: to,
        nonce: await payer.getNonce(),
        chainId: 31337n,
      });
      // Sent to anyone but the payer: a call to the payer would run its current (refusing) code.
      await receiptOf(stranger.sendTransaction({ to: stranger.address, authorizationList: [authorization] }));
    };
    const id = await openChannel(1000n, payer);
    await delegate(await rejecting.getAddress());
    await expect(
      chain.provider.estimateGas({ from: stranger.address, to: payer.address, value: 1n }),
    ).rejects.toMatchObject({ reason: 'refunds refused' });

    const receipt = await mined(as(receiver).closeByReceiver(id, 400n, sign(id, 400n, payer)));
    const events = receipt.logs.map((log) => channels.interface.parseLog(log));
    expect(events.map((e) => e?.name)).toEqual(['ChannelClaimed', 'ChannelClosed', 'RefundDeferred']);
    expect(await channels.deferredRefunds(payer.address)).toBe(600n);
    expect(await channel(id)).toMatchObject({ status: Status.Closed, paidOut: 400n });

    expect(await revertOf(as(payer).withdrawDeferredRefund())).toEqual({
      name: 'TransferFailed',
      args: [payer.address, 600n],
    });
    await delegate('0x0000000000000000000000000000000000000000');
    const balance = await chain.provider.getBalance(payer.address);
    const withdrawn = await mined(as(payer).withdrawDeferredRefund());
    expect(await chain.provider.getBalance(payer.address)).toBe(balance + 600n - withdrawn.fee);
    expect(await channels.deferredRefunds(payer.address)).toBe(0n);
    expect(await revertOf(as(payer).withdrawDeferredRefund())).toEqual({
      name: 'NoDeferredRefund',
      args: [payer.address],
    });
  });
});

describe('startClose and finishClose (the sender takes back what was not redeemed)', () => {
  it('starts a challenge period during which the receiver still redeems, then refunds the rest', async () => {
    const id = await openChannel(10_000n);
    const started = await mined(as(sender).startClose(id));
    const block = await chain.provider.getBlock(started.blockNumber);
    const closesAt = BigInt((block?.timestamp ?? 0) + CHALLENGE_PERIOD);
    const event = channels.interface.parseLog(started.logs[0]);
    expect([event?.name, event?.args.closesAt]).toEqual(['ChannelCloseStarted', closesAt]);
    expect(await channel(id)).toMatchObject({ status: Status.Closing, closesAt });

    const early = await revertOf(as(sender).finishClose(id));
    expect(early.name).toBe('ChallengePeriodNotOver');
    expect(early.args[0]).toBe(closesAt);
    expect(await revertOf(as(sender).startClose(id))).toEqual({
      name: 'ChannelNotOpen',
      args: [id, Status.Closing],
    });

    // The receiver redeems during the challenge period, and may keep the channel open until it ends.
    await mined(as(receiver).claim(id, 2500n, sign(id, 2500n)));
    await chain.anvil.increaseTime(CHALLENGE_PERIOD);
    await mined(as(receiver).claim(id, 3000n, sign(id, 3000n)));

    expect(await revertOf(as(stranger).finishClose(id))).toEqual({
      name: 'NotSender',
      args: [id, stranger.address],
    });
    const senderBefore = await chain.provider.getBalance(sender.address);
    const finished = await mined(as(sender).finishClose(id));
    expect(await chain.provider.getBalance(sender.address)).toBe(senderBefore + 7000n - finished.fee);
    const closed = channels.interface.parseLog(finished.logs[0]);
    expect([closed?.name, closed?.args.paidToReceiver, closed?.args.refundedToSender]).toEqual([
      'ChannelClosed',
      3000n,
      7000n,
    ]);
    expect(await revertOf(as(sender).finishClose(id))).toEqual({
      name: 'ChannelNotClosing',
      args: [id, Status.Closed],
    });
    expect(await revertOf(as(receiver).claim(id, 4000n, sign(id, 4000n)))).toEqual({
      name: 'ChannelAlreadyClosed',
      args: [id],
    });
  });

  it('lets the receiver close with its best claim while the sender is closing', async () => {
    const id = await openChannel(10_000n);
    await mined(as(sender).startClose(id));
    const senderBefore = await chain.provider.getBalance(sender.address);
    await mined(as(receiver).closeByReceiver(id, 9000n, sign(id, 9000n)));
    expect(await chain.provider.getBalance(sender.address)).toBe(senderBefore + 1000n);
    expect(await revertOf(as(sender).finishClose(id))).toEqual({
      name: 'ChannelNotClosing',
      args: [id, Status.Closed],
    });
  });

  it('is for the sender only, on open channels only', async () => {
    const id = await openChannel(10_000n);
    expect(await revertOf(as(receiver).startClose(id))).toEqual({
      name: 'NotSender',
      args: [id, receiver.address],
    });
    expect(await revertOf(as(sender).finishClose(id))).toEqual({
      name: 'ChannelNotClosing',
      args: [id, Status.Open],
    });
    const unknown = hexlify(new Uint8Array(32).fill(9));
    expect(await revertOf(as(sender).startClose(unknown))).toEqual({
      name: 'UnknownChannel',
      args: [unknown],
    });
    expect(await revertOf(as(receiver).claim(unknown, 1n, sign(unknown, 1n)))).toEqual({
      name: 'UnknownChannel',
      args: [unknown],
    });
  });
});
