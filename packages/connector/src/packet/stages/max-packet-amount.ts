import { encodeAmountTooLargeData } from '@ilpd/codec';
import { DaemonError } from '../../errors';

/**
 * Max packet amount stage: a Prepare above the incoming peer's cap is rejected F08, with the received
 * and maximum amounts in the reject data (RFC 27) so the sender can split its payment.
 */
export function checkMaxPacketAmount(amount: bigint, maximum: bigint | undefined): void {
  if (maximum !== undefined && amount > maximum) {
    throw new DaemonError('ILPD_ERR_AMOUNT_TOO_LARGE', `packet amount ${amount} exceeds maximum ${maximum}`, {
      ilpData: encodeAmountTooLargeData(amount, maximum),
    });
  }
}
