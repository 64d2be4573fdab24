import {
  decodeIldcpResponse,
  decodePrepare,
  encodeFulfill,
  encodeIldcpRequest,
  encodeReject,
  decodeReject,
} from '@ilpd/codec';
import { BtpSession, BtpSessionError } from '../btp/btp-session';
import { FLAG_REJECT, deriveFulfillment, payloadFlags } from '../workload/payload';
import { ReceiverCounters } from './receiver-counters';

const ILP_PREPARE = 12;
const ILP_FULFILL = 13;
const EMPTY = Buffer.alloc(0);

export interface LoadReceiverOptions {
  readonly url: string;
  readonly username: string;
  readonly token: string;
  /** Shared with the sender's packet pool. */
  readonly secret: Buffer;
  /** Our ILP address; learnt over ILDCP (peer.config) when absent. */
  readonly address?: string;
  /** Code used for packets the workload flags for rejection. */
  readonly rejectCode: string;
  /** Where the tallies go; a SharedArrayBuffer-backed one lets another thread read them. */
  readonly counters?: ReceiverCounters;
  /** Called once when the BTP connection closes, for whatever reason. */
  readonly onClose?: (code: number, reason: string) => void;
}

/**
 * What a load session needs from its receiving peer, whether it runs on the session's thread
 * (LoadReceiver) or on its own (LoadReceiverThread).
 */
export interface ReceivingPeer {
  /** Our ILP address; known once start() resolved. */
  readonly address: string;
  readonly prepares: number;
  readonly fulfilled: number;
  readonly rejected: number;
  /** Amounts of fulfilled Prepares as they reached the receiver. */
  readonly fulfilledAmount: number;
  /** Set once the receiver's connection to the connector is gone. */
  readonly closedWith: { readonly code: number; readonly reason: string } | undefined;
  /** Connects, authenticates and learns the address (ILDCP) unless one was given. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What both receivers (inline and in a thread) read the same way: the address and the counters. */
export abstract class ReceiverReadings {
  protected constructor(
    readonly counters: ReceiverCounters,
    protected addressValue: string | undefined,
  ) {}

  get address(): string {
    if (this.addressValue === undefined) throw new Error('receiver address unknown before start()');
    return this.addressValue;
  }

  get prepares(): number {
    return this.counters.prepares;
  }

  get fulfilled(): number {
    return this.counters.fulfilled;
  }

  get rejected(): number {
    return this.counters.rejected;
  }

  get fulfilledAmount(): number {
    return this.counters.fulfilledAmount;
  }
}

/**
 * The receiving peer: fulfills every loadgen Prepare with the preimage recomputed from the shared secret,
 * rejects flagged ones, and answers anything else with F06 (it was not expecting that payment).
 */
export class LoadReceiver extends ReceiverReadings implements ReceivingPeer {
  readonly session: BtpSession;
  private rejects = new Map<string, Buffer>();
  private uncorkScheduled = false;

  constructor(private readonly options: LoadReceiverOptions) {
    super(options.counters ?? new ReceiverCounters(), options.address);
    this.session = new BtpSession(
      { url: options.url, username: options.username, token: options.token },
      { onIlpRequest: (id, ilp) => this.onPrepare(id, ilp), onClose: options.onClose },
    );
  }

  get closedWith(): { readonly code: number; readonly reason: string } | undefined {
    return this.session.closedWith;
  }

  async start(): Promise<void> {
    await this.session.connect();
    if (this.addressValue === undefined) this.addressValue = await this.fetchAddress();
  }

  async stop(): Promise<void> {
    await this.session.close();
  }

  private async fetchAddress(): Promise<string> {
    const response = await this.session.requestIlp(encodeIldcpRequest(), 10_000);
    if (response[0] === ILP_FULFILL) return decodeIldcpResponse(response).clientAddress;
    const reason = response[0] === 14 ? decodeReject(response) : undefined;
    throw new BtpSessionError(
      'ILPD_LOADGEN_BTP_ERROR',
      `ILDCP (peer.config) was refused${reason ? `: ${reason.code} ${reason.message}` : ''}; pass --receiver-address`,
    );
  }

  private rejectPacket(code: string, message: string): Buffer {
    let packet = this.rejects.get(code);
    if (!packet) {
      packet = encodeReject({ code, triggeredBy: this.addressValue ?? '', message, data: EMPTY });
      this.rejects.set(code, packet);
    }
    return packet;
  }

  private onPrepare(requestId: number, ilp: Buffer): void {
    // Responses to every frame of one socket read leave in a single write.
    if (!this.uncorkScheduled) {
      this.uncorkScheduled = true;
      this.session.cork();
      process.nextTick(this.flush);
    }
    const counters = this.counters;
    if (ilp.length === 0 || ilp[0] !== ILP_PREPARE) {
      counters.countNotPrepare();
      this.session.respondIlp(requestId, this.rejectPacket('F01', 'expected an ILP Prepare'));
      return;
    }
    let response: Buffer;
    try {
      const prepare = decodePrepare(ilp);
      const data = prepare.data;
      const flags = payloadFlags(data);
      if (flags < 0) {
        counters.countRejected();
        response = this.rejectPacket('F06', 'unexpected payment');
      } else if ((flags & FLAG_REJECT) !== 0) {
        counters.countRejected();
        response = this.rejectPacket(this.options.rejectCode, 'rejected by loadgen workload');
      } else {
        const fulfillment = deriveFulfillment(this.options.secret, prepare.destinationBytes, data);
        response = encodeFulfill({ fulfillment, data: EMPTY });
        counters.countFulfilled(Number(prepare.amount));
      }
    } catch {
      counters.countRejected();
      response = this.rejectPacket('F01', 'invalid ILP Prepare');
    }
    this.session.respondIlp(requestId, response);
  }

  private readonly flush = (): void => {
    this.uncorkScheduled = false;
    this.session.uncork();
  };
}
