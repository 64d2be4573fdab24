export { XrplLedgerStandIn, RIPPLE_EPOCH_OFFSET, GENESIS_SEED } from './xrpl-ledger-standin';
export type { XrplLedgerStandInOptions, SubmissionEvent } from './xrpl-ledger-standin';
export { ENGINE_RESULT_CODES, TF_CLOSE, TF_RENEW, type EngineResult } from './transactors';
