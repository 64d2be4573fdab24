import { DaemonError } from '../../errors';

export interface AssetOf {
  readonly id: string;
  readonly assetCode: string;
  readonly assetScale: number;
}

export interface FxSettings {
  /** Fraction kept on every conversion, e.g. 0.002. */
  readonly spread: number;
  /** Value of one whole unit of each asset code in a common base. */
  readonly rates: Readonly<Record<string, number>>;
}

/** An exact rational rate: destination units = floor(source units × numerator / denominator). */
export interface ExchangeRate {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;
/** Significant digits kept of the float rate, as ilp-connector does (toPrecision(15)). */
const RATE_PRECISION = 15;

/**
 * FX stage. rate = (rates[source] / rates[destination]) × (1 − spread) × 10^(destScale − sourceScale),
 * rounded to 15 significant digits then applied exactly in bigint; the result is rounded down, so
 * rounding always favours us. Like ilp-connector, the spread applies to every packet, including
 * same-asset ones (same code needs no rates entry; the ratio is exactly 1). A result that overflows
 * UInt64 is F03; a non-zero amount that converts to zero is R01 (interledger-rs does the same): the
 * next hop would get nothing for the sender's money. Rates are computed once per peer pair.
 */
export class FxConverter {
  private readonly cache = new Map<string, Map<string, ExchangeRate>>();

  constructor(private readonly settings: FxSettings) {}

  convert(amount: bigint, source: AssetOf, destination: AssetOf): bigint {
    if (amount === 0n) return 0n;
    const rate = this.rateFor(source, destination);
    if (rate.numerator === rate.denominator) return amount;
    const converted = (amount * rate.numerator) / rate.denominator;
    if (converted > MAX_UINT64) {
      throw new DaemonError(
        'ILPD_ERR_INVALID_AMOUNT',
        `amount ${amount} ${source.assetCode} overflows when converted to ${destination.assetCode}`,
      );
    }
    if (converted === 0n) {
      throw new DaemonError(
        'ILPD_ERR_AMOUNT_TOO_SMALL',
        `amount ${amount} is worth nothing after conversion to ${destination.assetCode} at scale ${destination.assetScale}`,
      );
    }
    return converted;
  }

  rateFor(source: AssetOf, destination: AssetOf): ExchangeRate {
    let bySource = this.cache.get(source.id);
    if (bySource === undefined) {
      bySource = new Map();
      this.cache.set(source.id, bySource);
    }
    let rate = bySource.get(destination.id);
    if (rate === undefined) {
      rate = computeRate(source, destination, this.settings);
      bySource.set(destination.id, rate);
    }
    return rate;
  }
}

export function computeRate(source: AssetOf, destination: AssetOf, settings: FxSettings): ExchangeRate {
  let ratio = 1;
  if (source.assetCode !== destination.assetCode) {
    const sourceValue = settings.rates[source.assetCode];
    const destinationValue = settings.rates[destination.assetCode];
    if (sourceValue === undefined || destinationValue === undefined) {
      const missing = sourceValue === undefined ? source.assetCode : destination.assetCode;
      throw new DaemonError(
        'ILPD_ERR_UNREACHABLE',
        `no exchange rate for ${missing} (${source.assetCode} → ${destination.assetCode})`,
      );
    }
    ratio = sourceValue / destinationValue;
  }
  const factor = ratio * (1 - settings.spread);
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new DaemonError(
      'ILPD_ERR_INVALID_AMOUNT',
      `no usable exchange rate from ${source.assetCode} to ${destination.assetCode}`,
    );
  }
  const { mantissa, exponent } = toDecimal(factor);
  const shift = exponent + destination.assetScale - source.assetScale;
  return shift >= 0 ? reduce(mantissa * 10n ** BigInt(shift), 1n) : reduce(mantissa, 10n ** BigInt(-shift));
}

/** factor ≈ mantissa × 10^exponent, with RATE_PRECISION significant digits. */
function toDecimal(factor: number): { mantissa: bigint; exponent: number } {
  const [digits, exp] = factor.toExponential(RATE_PRECISION - 1).split('e');
  const [whole, fraction = ''] = digits.split('.');
  return { mantissa: BigInt(whole + fraction), exponent: Number(exp) - fraction.length };
}

function reduce(numerator: bigint, denominator: bigint): ExchangeRate {
  let a = numerator;
  let b = denominator;
  while (b !== 0n) [a, b] = [b, a % b];
  return { numerator: numerator / a, denominator: denominator / a };
}
