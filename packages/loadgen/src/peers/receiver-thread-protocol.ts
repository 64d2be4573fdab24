/** What the main thread hands the receiver thread at start. */
export interface ReceiverThreadData {
  readonly url: string;
  readonly username: string;
  readonly token: string;
  /** The workload secret (a Buffer arrives as a plain Uint8Array). */
  readonly secret: Uint8Array;
  readonly address?: string;
  readonly rejectCode: string;
  /** Backs the ReceiverCounters both threads share. */
  readonly counters: SharedArrayBuffer;
}

/** Main thread → receiver thread. */
export type ReceiverThreadCommand = { readonly kind: 'stop' };

/** Receiver thread → main thread. */
export type ReceiverThreadEvent =
  | { readonly kind: 'started'; readonly address: string }
  /** start() failed; `code` is the error's stable code when it has one. */
  | { readonly kind: 'failed'; readonly code?: string; readonly message: string }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string }
  | { readonly kind: 'stopped' };
