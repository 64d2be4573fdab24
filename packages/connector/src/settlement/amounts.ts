/**
 * Exact conversion between a peer's asset units (amounts on the packet path, `assetScale` decimal
 * places) and a chain's unit (wei: 18 places, drops: 6). Integer arithmetic only.
 *
 * Both sides of a channel derive ledger amounts from the cumulative claim, never from increments:
 * the value of a claim in asset units is `assetValue(cumulative)`, and a claim credits (or debits)
 * `assetValue(new) − assetValue(previous)`. Rounding therefore never accumulates: when the chain unit
 * is coarser than the asset unit, what does not fill a whole chain unit stays owed on the ledger
 * (carried to the next claim), and payer and payee book the same amounts to the unit.
 */
export class ChainScale {
  /** 10^|assetScale − chainScale|. */
  private readonly factor: bigint;
  /** True when one chain unit is finer than (or equal to) one asset unit (wei vs. a 9-place asset). */
  private readonly chainIsFiner: boolean;

  constructor(
    readonly assetScale: number,
    readonly chainScale: number,
  ) {
    this.chainIsFiner = chainScale >= assetScale;
    this.factor = 10n ** BigInt(Math.abs(chainScale - assetScale));
  }

  /** The value of `chainAmount` in asset units, rounded down (what a claim of that size is worth). */
  assetValue(chainAmount: bigint): bigint {
    return this.chainIsFiner ? chainAmount / this.factor : chainAmount * this.factor;
  }

  /**
   * The most chain units that `assetAmount` pays in full (rounded down when the chain unit is
   * coarser); `assetValue` of the result is what the ledger books, the rest stays owed.
   */
  chainAmount(assetAmount: bigint): bigint {
    return this.chainIsFiner ? assetAmount * this.factor : assetAmount / this.factor;
  }

  /** The ledger amount a claim moving the cumulative from `previous` to `next` carries. */
  increment(previous: bigint, next: bigint): bigint {
    return this.assetValue(next) - this.assetValue(previous);
  }
}
