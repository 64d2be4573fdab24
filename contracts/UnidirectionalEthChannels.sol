// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Unidirectional ETH payment channels for Interledger settlement (ilpd)
/// @notice A sender locks ETH in a channel to one receiver and pays it off chain with signed claims of
/// the cumulative amount (the total ever paid on the channel). The receiver redeems the best claim at
/// any time, keeping the channel open (`claim`) or closing it (`closeByReceiver`). The sender can only
/// get its money back through a challenge period (`startClose`, then `finishClose`) during which the
/// receiver can still redeem, so a claim is as good as a payment the moment the receiver holds it.
///
/// Claims are EIP-712 typed data `Claim(bytes32 channelId,uint256 cumulativeAmount)` under the domain
/// {name: "ilpd UnidirectionalEthChannels", version: "1", chainId, verifyingContract}: a claim is valid
/// on one chain, one contract and one channel only. Signatures are 65 bytes r || s || v with v in
/// {27, 28} and s in the lower half of the curve order (the other half would let anyone make a second
/// valid encoding of the same signature).
///
/// Channel ids are never reused: each derives from a counter that only grows, and a closed channel
/// keeps its record (status Closed) so no call can ever act on it again.
contract UnidirectionalEthChannels {
    enum Status {
        None,
        Open,
        Closing,
        Closed
    }

    /// Packed into three storage slots. uint128 holds more wei than will ever exist.
    struct Channel {
        address sender;
        /// End of the challenge period (unix seconds) once the sender started closing; 0 before.
        uint64 closesAt;
        Status status;
        address receiver;
        /// Everything ever deposited.
        uint128 deposit;
        /// Everything already paid to the receiver: the highest cumulative amount redeemed.
        uint128 paidOut;
    }

    /// The receiver must have time to notice a close and redeem: a shorter challenge period would let a
    /// sender take back money it already paid with claims.
    uint256 public constant MIN_CHALLENGE_PERIOD = 1 hours;
    /// Bounds how long a sender's unclaimed deposit can stay locked.
    uint256 public constant MAX_CHALLENGE_PERIOD = 30 days;
    /// Gas given to the sender's refund in `closeByReceiver`: a sender contract that rejects or burns
    /// gas cannot stop the receiver from closing; its refund is kept for `withdrawDeferredRefund`.
    uint256 public constant REFUND_GAS = 50_000;

    bytes32 public constant CLAIM_TYPEHASH = keccak256("Claim(bytes32 channelId,uint256 cumulativeAmount)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("ilpd UnidirectionalEthChannels");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 order / 2: the largest s accepted.
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// Seconds between `startClose` and the earliest `finishClose`; fixed for every channel here.
    uint64 public immutable challengePeriod;
    uint256 private immutable deployChainId;
    bytes32 private immutable deployDomainSeparator;

    /// Channels opened so far; the next channel id derives from it.
    uint256 public channelCount;
    mapping(bytes32 => Channel) private channels;
    /// Refunds a sender could not receive during `closeByReceiver`.
    mapping(address => uint256) public deferredRefunds;

    event ChannelOpened(bytes32 indexed channelId, address indexed sender, address indexed receiver, uint256 deposit);
    event ChannelToppedUp(bytes32 indexed channelId, uint256 amount, uint256 deposit);
    event ChannelClaimed(bytes32 indexed channelId, uint256 cumulativeAmount, uint256 payout);
    event ChannelCloseStarted(bytes32 indexed channelId, uint64 closesAt);
    event ChannelClosed(bytes32 indexed channelId, uint256 paidToReceiver, uint256 refundedToSender);
    event RefundDeferred(address indexed sender, uint256 amount);
    event DeferredRefundWithdrawn(address indexed sender, uint256 amount);

    error ChallengePeriodOutOfRange(uint256 challengePeriod, uint256 min, uint256 max);
    error ZeroDeposit();
    error DepositTooLarge(uint256 deposit);
    error InvalidReceiver(address receiver);
    error UnknownChannel(bytes32 channelId);
    error ChannelIdTaken(bytes32 channelId);
    error ChannelNotOpen(bytes32 channelId, Status status);
    error ChannelNotClosing(bytes32 channelId, Status status);
    error ChannelAlreadyClosed(bytes32 channelId);
    error NotSender(bytes32 channelId, address caller);
    error NotReceiver(bytes32 channelId, address caller);
    error ClaimExceedsDeposit(uint256 cumulativeAmount, uint256 deposit);
    error ClaimNotIncreasing(uint256 cumulativeAmount, uint256 paidOut);
    error InvalidSignatureLength(uint256 length);
    error InvalidSignatureV(uint8 v);
    error InvalidSignatureS(uint256 s);
    error WrongSigner(address recovered, address sender);
    error ChallengePeriodNotOver(uint64 closesAt, uint256 blockTime);
    error TransferFailed(address to, uint256 amount);
    error NoDeferredRefund(address sender);

    constructor(uint64 challengePeriodSeconds) {
        if (challengePeriodSeconds < MIN_CHALLENGE_PERIOD || challengePeriodSeconds > MAX_CHALLENGE_PERIOD) {
            revert ChallengePeriodOutOfRange(challengePeriodSeconds, MIN_CHALLENGE_PERIOD, MAX_CHALLENGE_PERIOD);
        }
        challengePeriod = challengePeriodSeconds;
        deployChainId = block.chainid;
        deployDomainSeparator = buildDomainSeparator();
    }

    /// Opens a channel from the caller to `receiver` holding `msg.value`.
    function open(address receiver) external payable returns (bytes32 channelId) {
        if (receiver == address(0) || receiver == msg.sender) revert InvalidReceiver(receiver);
        if (msg.value == 0) revert ZeroDeposit();
        if (msg.value > type(uint128).max) revert DepositTooLarge(msg.value);
        uint256 count = channelCount + 1;
        channelCount = count;
        channelId = keccak256(abi.encode(block.chainid, address(this), msg.sender, receiver, count));
        // Cannot happen (the counter only grows); checked so that a reused id could never overwrite money.
        if (channels[channelId].status != Status.None) revert ChannelIdTaken(channelId);
        channels[channelId] = Channel({
            sender: msg.sender,
            closesAt: 0,
            status: Status.Open,
            receiver: receiver,
            deposit: uint128(msg.value),
            paidOut: 0
        });
        emit ChannelOpened(channelId, msg.sender, receiver, msg.value);
    }

    /// Adds `msg.value` to the sender's own open channel.
    function topUp(bytes32 channelId) external payable {
        Channel storage channel = existing(channelId);
        if (channel.sender != msg.sender) revert NotSender(channelId, msg.sender);
        if (channel.status != Status.Open) revert ChannelNotOpen(channelId, channel.status);
        if (msg.value == 0) revert ZeroDeposit();
        uint256 deposit = uint256(channel.deposit) + msg.value;
        if (deposit > type(uint128).max) revert DepositTooLarge(deposit);
        channel.deposit = uint128(deposit);
        emit ChannelToppedUp(channelId, msg.value, deposit);
    }

    /// The receiver redeems a claim and keeps the channel open: it is paid the increase over what it
    /// was already paid. Allowed while open or closing (until the sender finishes the close).
    function claim(bytes32 channelId, uint256 cumulativeAmount, bytes calldata signature) external {
        Channel storage channel = redeemable(channelId, cumulativeAmount, signature);
        if (cumulativeAmount <= channel.paidOut) revert ClaimNotIncreasing(cumulativeAmount, channel.paidOut);
        uint256 payout = cumulativeAmount - channel.paidOut;
        channel.paidOut = uint128(cumulativeAmount);
        emit ChannelClaimed(channelId, cumulativeAmount, payout);
        pay(msg.sender, payout);
    }

    /// The receiver closes the channel with its best claim (or, with a claim equal to what it was already
    /// paid, without a new one): it gets the increase, the sender gets the rest back, and the channel is
    /// closed for good. Allowed while open or closing.
    function closeByReceiver(bytes32 channelId, uint256 cumulativeAmount, bytes calldata signature) external {
        Channel storage channel = redeemable(channelId, cumulativeAmount, signature);
        if (cumulativeAmount < channel.paidOut) revert ClaimNotIncreasing(cumulativeAmount, channel.paidOut);
        uint256 payout = cumulativeAmount - channel.paidOut;
        uint256 refund = uint256(channel.deposit) - cumulativeAmount;
        address sender = channel.sender;
        channel.paidOut = uint128(cumulativeAmount);
        channel.status = Status.Closed;
        if (payout > 0) emit ChannelClaimed(channelId, cumulativeAmount, payout);
        emit ChannelClosed(channelId, cumulativeAmount, refund);
        if (payout > 0) pay(msg.sender, payout);
        if (refund > 0) {
            (bool sent, ) = sender.call{value: refund, gas: REFUND_GAS}("");
            if (!sent) {
                deferredRefunds[sender] += refund;
                emit RefundDeferred(sender, refund);
            }
        }
    }

    /// The sender starts closing its channel: after the challenge period it can take back what the
    /// receiver has not redeemed by then.
    function startClose(bytes32 channelId) external {
        Channel storage channel = existing(channelId);
        if (channel.sender != msg.sender) revert NotSender(channelId, msg.sender);
        if (channel.status != Status.Open) revert ChannelNotOpen(channelId, channel.status);
        uint64 closesAt = uint64(block.timestamp) + challengePeriod;
        channel.closesAt = closesAt;
        channel.status = Status.Closing;
        emit ChannelCloseStarted(channelId, closesAt);
    }

    /// After the challenge period, the sender closes the channel and gets back what was not redeemed.
    function finishClose(bytes32 channelId) external {
        Channel storage channel = existing(channelId);
        if (channel.sender != msg.sender) revert NotSender(channelId, msg.sender);
        if (channel.status != Status.Closing) revert ChannelNotClosing(channelId, channel.status);
        if (block.timestamp < channel.closesAt) revert ChallengePeriodNotOver(channel.closesAt, block.timestamp);
        uint256 refund = uint256(channel.deposit) - channel.paidOut;
        channel.status = Status.Closed;
        emit ChannelClosed(channelId, channel.paidOut, refund);
        if (refund > 0) pay(msg.sender, refund);
    }

    /// Pays out a refund that `closeByReceiver` could not deliver to the sender.
    function withdrawDeferredRefund() external {
        uint256 amount = deferredRefunds[msg.sender];
        if (amount == 0) revert NoDeferredRefund(msg.sender);
        deferredRefunds[msg.sender] = 0;
        emit DeferredRefundWithdrawn(msg.sender, amount);
        pay(msg.sender, amount);
    }

    function getChannel(bytes32 channelId) external view returns (Channel memory) {
        return channels[channelId];
    }

    function domainSeparator() public view returns (bytes32) {
        // Recomputed after a chain split so claims signed for one fork are not valid on the other.
        return block.chainid == deployChainId ? deployDomainSeparator : buildDomainSeparator();
    }

    /// The EIP-712 digest a claim signature signs.
    function claimDigest(bytes32 channelId, uint256 cumulativeAmount) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(CLAIM_TYPEHASH, channelId, cumulativeAmount));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    /// Who signed a claim (address(0) for a signature that recovers no key); reverts on a malformed or
    /// high-s signature. Exactly the check `claim` and `closeByReceiver` apply.
    function recoverClaimSigner(
        bytes32 channelId,
        uint256 cumulativeAmount,
        bytes calldata signature
    ) public view returns (address) {
        if (signature.length != 65) revert InvalidSignatureLength(signature.length);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) revert InvalidSignatureV(v);
        if (uint256(s) > HALF_ORDER) revert InvalidSignatureS(uint256(s));
        return ecrecover(claimDigest(channelId, cumulativeAmount), v, r, s);
    }

    function existing(bytes32 channelId) private view returns (Channel storage channel) {
        channel = channels[channelId];
        if (channel.status == Status.None) revert UnknownChannel(channelId);
    }

    /// Checks everything both redeeming calls share: the channel is not closed, the caller is its
    /// receiver, the claim is covered by the deposit and signed by the sender.
    function redeemable(
        bytes32 channelId,
        uint256 cumulativeAmount,
        bytes calldata signature
    ) private view returns (Channel storage channel) {
        channel = existing(channelId);
        if (channel.status == Status.Closed) revert ChannelAlreadyClosed(channelId);
        if (channel.receiver != msg.sender) revert NotReceiver(channelId, msg.sender);
        if (cumulativeAmount > channel.deposit) revert ClaimExceedsDeposit(cumulativeAmount, channel.deposit);
        address signer = recoverClaimSigner(channelId, cumulativeAmount, signature);
        // A zero signer (no key recovered) never equals a sender: msg.sender is never address(0).
        if (signer != channel.sender) revert WrongSigner(signer, channel.sender);
    }

    function buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    function pay(address to, uint256 amount) private {
        (bool sent, ) = to.call{value: amount}("");
        if (!sent) revert TransferFailed(to, amount);
    }
}
