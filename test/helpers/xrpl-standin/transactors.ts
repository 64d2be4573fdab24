import {
  deriveAddress,
  encodeForSigningClaim,
  hashes,
  isValidClassicAddress,
  verifyKeypairSignature,
  type PaymentChannelClaim,
} from 'xrpl';
import { LedgerState, type AccountRoot, type PayChannel } from './ledger-objects';

/**
 * The transaction rules of the XRPL stand-in: the checks rippled runs before a transaction may touch
 * the ledger (preflight: the transaction alone; preclaim: sequence, LastLedgerSequence, fee, signer)
 * and the four transactors ilpd needs (Payment in XRP, PaymentChannelCreate, PaymentChannelFund,
 * PaymentChannelClaim), after rippled's PayChan.cpp. Results use rippled's codes and meaning:
 *  - tes: applied; tec: only the fee is taken and the sequence used, nothing else changes;
 *  - tem / tef / tel / ter: not applied at all (no fee, the sequence stays free).
 */
export const ENGINE_RESULT_CODES = {
  tesSUCCESS: 0,
  tecUNFUNDED_PAYMENT: 104,
  tecNO_DST: 124,
  tecNO_DST_INSUF_XRP: 125,
  tecUNFUNDED: 129,
  tecNO_TARGET: 138,
  tecNO_PERMISSION: 139,
  tecNO_ENTRY: 140,
  tecINSUFFICIENT_RESERVE: 141,
  tecEXPIRED: 148,
  temMALFORMED: -299,
  temBAD_AMOUNT: -298,
  temBAD_CURRENCY: -297,
  temBAD_EXPIRATION: -296,
  temBAD_FEE: -295,
  temBAD_SIGNATURE: -282,
  temDST_IS_SRC: -279,
  temINVALID_FLAG: -276,
  temREDUNDANT: -275,
  temDISABLED: -273,
  temBAD_SIGNER: -272,
  tefPAST_SEQ: -190,
  tefMAX_LEDGER: -187,
  tefBAD_AUTH_MASTER: -183,
  terINSUF_FEE_B: -97,
  terNO_ACCOUNT: -96,
  terPRE_SEQ: -92,
  telINSUF_FEE_P: -394,
  telWRONG_NETWORK: -386,
} as const;

export type EngineResult = keyof typeof ENGINE_RESULT_CODES;

export const TF_FULLY_CANONICAL_SIG = 0x80000000;
const TF_UNIVERSAL = TF_FULLY_CANONICAL_SIG | 0x40000000;
export const TF_RENEW = 0x00010000;
export const TF_CLOSE = 0x00020000;

export interface LedgerFees {
  readonly baseFee: bigint;
  readonly reserveBase: bigint;
  readonly reserveIncrement: bigint;
}

export interface ApplyContext {
  /** The open ledger's state; replaced by the caller with `state` of the outcome when applied. */
  readonly state: LedgerState;
  readonly openLedgerIndex: number;
  /** Close time of the last closed ledger (ripple-epoch seconds): what channel expiry is judged by. */
  readonly parentCloseTime: number;
  readonly fees: LedgerFees;
  readonly networkId?: number;
}

export interface ApplyOutcome {
  readonly result: EngineResult;
  /** True for tes and tec: the transaction goes into the ledger. */
  readonly applied: boolean;
  /** The state after the transaction (the same object as the context's when not applied). */
  readonly state: LedgerState;
}

type Tx = Record<string, unknown>;

export function applyTransaction(ctx: ApplyContext, tx: Tx): ApplyOutcome {
  const refused = (result: EngineResult): ApplyOutcome => ({ result, applied: false, state: ctx.state });
  const preflightResult = preflight(ctx, tx);
  if (preflightResult !== undefined) return refused(preflightResult);
  const preclaimResult = preclaim(ctx, tx);
  if (preclaimResult !== undefined) return refused(preclaimResult);

  const working = ctx.state.clone();
  payFeeAndSequence(working, tx);
  const result = doApply(ctx, working, tx);
  if (result === 'tesSUCCESS') return { result, applied: true, state: working };
  if (result.startsWith('tec')) {
    const feeOnly = ctx.state.clone();
    payFeeAndSequence(feeOnly, tx);
    return { result, applied: true, state: feeOnly };
  }
  return refused(result);
}

function payFeeAndSequence(state: LedgerState, tx: Tx): void {
  const account = state.accounts.get(String(tx.Account)) as AccountRoot;
  account.balance -= BigInt(String(tx.Fee));
  account.sequence += 1;
}

export function reserve(fees: LedgerFees, ownerCount: number): bigint {
  return fees.reserveBase + fees.reserveIncrement * BigInt(ownerCount);
}

/** XRP in drops as the binary codec decodes it (a decimal string); undefined for tokens and junk. */
function drops(value: unknown): bigint | undefined {
  return typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : undefined;
}

function isPublicKey(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[0-9A-Fa-f]{66}$/.test(value)) return false;
  const prefix = value.slice(0, 2).toUpperCase();
  return prefix === 'ED' || prefix === '02' || prefix === '03';
}

function preflight(ctx: ApplyContext, tx: Tx): EngineResult | undefined {
  const flags = Number(tx.Flags ?? 0);
  const fee = drops(tx.Fee);
  if (fee === undefined || fee < 0n) return 'temBAD_FEE';
  if (tx.TicketSequence !== undefined || tx.Sequence === 0) return 'temDISABLED';
  if (tx.NetworkID !== undefined && tx.NetworkID !== ctx.networkId) return 'telWRONG_NETWORK';
  switch (tx.TransactionType) {
    case 'Payment': {
      if ((flags & ~TF_UNIVERSAL) !== 0 || tx.Paths !== undefined || tx.SendMax !== undefined) {
        return 'temINVALID_FLAG'; // partial payments and paths are not modeled
      }
      const amount = drops(tx.Amount);
      if (amount === undefined) return 'temBAD_CURRENCY'; // tokens are not modeled
      if (amount <= 0n) return 'temBAD_AMOUNT';
      if (tx.Destination === tx.Account) return 'temREDUNDANT';
      return undefined;
    }
    case 'PaymentChannelCreate': {
      if ((flags & ~TF_UNIVERSAL) !== 0) return 'temINVALID_FLAG';
      const amount = drops(tx.Amount);
      if (amount === undefined || amount <= 0n) return 'temBAD_AMOUNT';
      if (tx.Destination === tx.Account) return 'temDST_IS_SRC';
      if (!isPublicKey(tx.PublicKey)) return 'temMALFORMED';
      return undefined;
    }
    case 'PaymentChannelFund': {
      if ((flags & ~TF_UNIVERSAL) !== 0) return 'temINVALID_FLAG';
      const amount = drops(tx.Amount);
      if (amount === undefined || amount <= 0n) return 'temBAD_AMOUNT';
      return undefined;
    }
    case 'PaymentChannelClaim':
      return preflightClaim(tx, flags);
    default:
      return 'temDISABLED'; // every other transaction type is not modeled
  }
}

function preflightClaim(tx: Tx, flags: number): EngineResult | undefined {
  const balance = tx.Balance === undefined ? undefined : drops(tx.Balance);
  const amount = tx.Amount === undefined ? undefined : drops(tx.Amount);
  if (tx.Balance !== undefined && (balance === undefined || balance <= 0n)) return 'temBAD_AMOUNT';
  if (tx.Amount !== undefined && (amount === undefined || amount <= 0n)) return 'temBAD_AMOUNT';
  if (balance !== undefined && amount !== undefined && balance > amount) return 'temBAD_AMOUNT';
  if ((flags & ~(TF_UNIVERSAL | TF_RENEW | TF_CLOSE)) !== 0) return 'temINVALID_FLAG';
  if ((flags & TF_CLOSE) !== 0 && (flags & TF_RENEW) !== 0) return 'temMALFORMED';
  if (tx.Signature !== undefined) {
    if (tx.PublicKey === undefined || balance === undefined) return 'temMALFORMED';
    if (!isPublicKey(tx.PublicKey)) return 'temMALFORMED';
    // The claim is for `Amount` when given (Balance may claim less of it), else for `Balance`.
    const authorized = amount ?? balance;
    let valid = false;
    try {
      const message = claimSigningData(String(tx.Channel), authorized);
      valid = verifyKeypairSignature(message, String(tx.Signature), tx.PublicKey);
    } catch {
      valid = false;
    }
    if (!valid) return 'temBAD_SIGNATURE';
  }
  return undefined;
}

/**
 * "CLM\0" ‖ channel ‖ drops, by xrpl.js (ripple-binary-codec), independent of ilpd's own encoder. xrpl.js
 * types the argument as a PaymentChannelClaim, but the codec reads `{ channel, amount }`.
 */
function claimSigningData(channel: string, drops: bigint): string {
  return encodeForSigningClaim({ channel, amount: drops.toString() } as unknown as PaymentChannelClaim);
}

function preclaim(ctx: ApplyContext, tx: Tx): EngineResult | undefined {
  const account = ctx.state.accounts.get(String(tx.Account));
  if (account === undefined) return 'terNO_ACCOUNT';
  const sequence = Number(tx.Sequence);
  if (sequence < account.sequence) return 'tefPAST_SEQ';
  if (sequence > account.sequence) return 'terPRE_SEQ';
  if (tx.LastLedgerSequence !== undefined && ctx.openLedgerIndex > Number(tx.LastLedgerSequence)) {
    return 'tefMAX_LEDGER';
  }
  const fee = drops(tx.Fee) as bigint;
  if (fee < ctx.fees.baseFee) return 'telINSUF_FEE_P';
  if (account.balance < fee) return 'terINSUF_FEE_B';
  // No regular keys or multi-signing: only the account's master key signs for it.
  if (deriveAddress(String(tx.SigningPubKey)) !== account.address) return 'tefBAD_AUTH_MASTER';
  return undefined;
}

function doApply(ctx: ApplyContext, state: LedgerState, tx: Tx): EngineResult {
  switch (tx.TransactionType) {
    case 'Payment':
      return applyPayment(ctx, state, tx);
    case 'PaymentChannelCreate':
      return applyChannelCreate(ctx, state, tx);
    case 'PaymentChannelFund':
      return applyChannelFund(ctx, state, tx);
    default:
      return applyChannelClaim(ctx, state, tx);
  }
}

function applyPayment(ctx: ApplyContext, state: LedgerState, tx: Tx): EngineResult {
  const source = state.accounts.get(String(tx.Account)) as AccountRoot;
  const amount = drops(tx.Amount) as bigint;
  const destinationAddress = String(tx.Destination);
  if (!isValidClassicAddress(destinationAddress)) return 'temMALFORMED';
  let destination = state.accounts.get(destinationAddress);
  if (destination === undefined && amount < ctx.fees.reserveBase) return 'tecNO_DST_INSUF_XRP';
  // The fee is already paid: what remains must cover the amount and the source's own reserve.
  if (source.balance < amount + reserve(ctx.fees, source.ownerCount)) return 'tecUNFUNDED_PAYMENT';
  if (destination === undefined) {
    // New accounts start at the index of the ledger that creates them, as rippled does.
    destination = {
      address: destinationAddress,
      balance: 0n,
      sequence: ctx.openLedgerIndex,
      ownerCount: 0,
      previousTxnId: '',
      previousTxnLgrSeq: 0,
    };
    state.accounts.set(destinationAddress, destination);
  }
  source.balance -= amount;
  destination.balance += amount;
  return 'tesSUCCESS';
}

function applyChannelCreate(ctx: ApplyContext, state: LedgerState, tx: Tx): EngineResult {
  const source = state.accounts.get(String(tx.Account)) as AccountRoot;
  const amount = drops(tx.Amount) as bigint;
  // rippled's preclaim judges the balance before the fee; it is restored here for the same checks.
  const priorBalance = source.balance + (drops(tx.Fee) as bigint);
  if (priorBalance < reserve(ctx.fees, source.ownerCount + 1)) return 'tecINSUFFICIENT_RESERVE';
  if (priorBalance < reserve(ctx.fees, source.ownerCount + 1) + amount) return 'tecUNFUNDED';
  const destination = String(tx.Destination);
  if (!state.accounts.has(destination)) return 'tecNO_DST';
  const cancelAfter = tx.CancelAfter === undefined ? undefined : Number(tx.CancelAfter);
  if (cancelAfter !== undefined && ctx.parentCloseTime >= cancelAfter) return 'tecEXPIRED';
  const id = hashes.hashPaymentChannel(source.address, destination, Number(tx.Sequence));
  const channel: PayChannel = {
    id,
    account: source.address,
    destination,
    amount,
    balance: 0n,
    settleDelay: Number(tx.SettleDelay),
    publicKey: String(tx.PublicKey),
    cancelAfter,
    sourceTag: tx.SourceTag === undefined ? undefined : Number(tx.SourceTag),
    destinationTag: tx.DestinationTag === undefined ? undefined : Number(tx.DestinationTag),
    previousTxnId: '',
    previousTxnLgrSeq: 0,
  };
  state.channels.set(id, channel);
  source.balance -= amount;
  source.ownerCount += 1;
  return 'tesSUCCESS';
}

/** A channel past its Expiration or CancelAfter closes on the next transaction that touches it. */
function isExpired(ctx: ApplyContext, channel: PayChannel): boolean {
  return (
    (channel.cancelAfter !== undefined && ctx.parentCloseTime >= channel.cancelAfter) ||
    (channel.expiration !== undefined && ctx.parentCloseTime >= channel.expiration)
  );
}

/** Removes the channel and returns what was not paid out to its source. */
function closeChannel(state: LedgerState, channel: PayChannel): EngineResult {
  const source = state.accounts.get(channel.account) as AccountRoot;
  source.balance += channel.amount - channel.balance;
  source.ownerCount -= 1;
  state.channels.delete(channel.id);
  state.removed.set(channel.id, { ...channel });
  return 'tesSUCCESS';
}

function applyChannelFund(ctx: ApplyContext, state: LedgerState, tx: Tx): EngineResult {
  const channel = state.channels.get(String(tx.Channel).toUpperCase());
  if (channel === undefined) return 'tecNO_ENTRY';
  if (isExpired(ctx, channel)) return closeChannel(state, channel);
  if (channel.account !== tx.Account) return 'tecNO_PERMISSION';
  if (tx.Expiration !== undefined) {
    let minimum = ctx.parentCloseTime + channel.settleDelay;
    if (channel.expiration !== undefined && channel.expiration < minimum) minimum = channel.expiration;
    if (Number(tx.Expiration) < minimum) return 'temBAD_EXPIRATION';
    channel.expiration = Number(tx.Expiration);
  }
  const source = state.accounts.get(channel.account) as AccountRoot;
  const amount = drops(tx.Amount) as bigint;
  if (source.balance < reserve(ctx.fees, source.ownerCount)) return 'tecINSUFFICIENT_RESERVE';
  if (source.balance < reserve(ctx.fees, source.ownerCount) + amount) return 'tecUNFUNDED';
  if (!state.accounts.has(channel.destination)) return 'tecNO_DST';
  channel.amount += amount;
  source.balance -= amount;
  return 'tesSUCCESS';
}

function applyChannelClaim(ctx: ApplyContext, state: LedgerState, tx: Tx): EngineResult {
  const channel = state.channels.get(String(tx.Channel).toUpperCase());
  if (channel === undefined) return 'tecNO_TARGET';
  if (isExpired(ctx, channel)) return closeChannel(state, channel);
  const txAccount = String(tx.Account);
  if (txAccount !== channel.account && txAccount !== channel.destination) return 'tecNO_PERMISSION';
  const flags = Number(tx.Flags ?? 0);

  if (tx.Balance !== undefined) {
    const requested = drops(tx.Balance) as bigint;
    // The destination needs the source's signature; the source may pay out without one.
    if (txAccount === channel.destination && tx.Signature === undefined) return 'temBAD_SIGNATURE';
    if (
      tx.Signature !== undefined &&
      String(tx.PublicKey).toUpperCase() !== channel.publicKey.toUpperCase()
    ) {
      return 'temBAD_SIGNER';
    }
    if (requested > channel.amount) return 'tecUNFUNDED_PAYMENT';
    if (requested <= channel.balance) return 'tecUNFUNDED_PAYMENT'; // Balance never decreases
    const destination = state.accounts.get(channel.destination);
    if (destination === undefined) return 'tecNO_DST';
    destination.balance += requested - channel.balance;
    channel.balance = requested;
  }

  if ((flags & TF_RENEW) !== 0) {
    if (txAccount !== channel.account) return 'tecNO_PERMISSION';
    channel.expiration = undefined;
  }

  if ((flags & TF_CLOSE) !== 0) {
    // The destination closes at once, as does anyone once the channel is dry; the source must wait
    // SettleDelay so the destination can still redeem its best claim.
    if (txAccount === channel.destination || channel.balance === channel.amount) {
      return closeChannel(state, channel);
    }
    const settleExpiration = ctx.parentCloseTime + channel.settleDelay;
    if (channel.expiration === undefined || channel.expiration > settleExpiration) {
      channel.expiration = settleExpiration;
    }
  }
  return 'tesSUCCESS';
}
