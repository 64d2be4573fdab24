// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Test-only wallet code that refuses every ETH transfer. A channel sender's account delegates to it
/// (EIP-7702) to prove that a sender refusing its refund cannot stop the receiver from closing.
contract RefundRejectingWallet {
    receive() external payable {
        revert("refunds refused");
    }
}
