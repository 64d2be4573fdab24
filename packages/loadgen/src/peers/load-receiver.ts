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
}

/**
 * The receiving peer: fulfills every loadgen Prepare with the preimage recomputed from the shared secret,
 * rejects flagged ones, and answers anything else with F06 (it was not expecting that payment).
 */
export class LoadReceiver {
  readonly session: BtpSession;
  private addressValue: string | undefined;
  private rejects = new Map<string, Buffer>();
  private uncorkScheduled = false;
  prepares = 0;
  fulfilled = 0;
  rejected = 0;
  /** Amounts of fulfilled Prepares as they reached the receiver. */
  fulfilledAmount = 0;

  constructor(private readonly options: LoadReceiverOptions) {
    this.addressValue = options.address;
    this.session = new BtpSession(
      { url: options.url, username: options.username, token: options.token },
      { onIlpRequest: (id, ilp) => this.onPrepare(id, ilp) },
    );
  }

  get address(): string {
    if (this.addressValue === undefined) throw new Error('receiver address unknown before start()');
    return this.addressValue;
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
    if (ilp.length === 0 || ilp[0] !== ILP_PREPARE) {
      this.rejected++;
      this.session.respondIlp(requestId, this.rejectPacket('F01', 'expected an ILP Prepare'));
      return;
    }
    this.prepares++;
    let response: Buffer;
    try {
      const prepare = decodePrepare(ilp);
      const data = prepare.data;
      const flags = payloadFlags(data);
      if (flags < 0) {
        this.rejected++;
        response = this.rejectPacket('F06', 'unexpected payment');
      } else if ((flags & FLAG_REJECT) !== 0) {
        this.rejected++;
        response = this.rejectPacket(this.options.rejectCode, 'rejected by loadgen workload');
      } else {
        const fulfillment = deriveFulfillment(this.options.secret, prepare.destinationBytes, data);
        this.fulfilled++;
        this.fulfilledAmount += Number(prepare.amount);
        response = encodeFulfill({ fulfillment, data: EMPTY });
      }
    } catch {
      this.rejected++;
      response = this.rejectPacket('F01', 'invalid ILP Prepare');
    }
    this.session.respondIlp(requestId, response);
  }

  private readonly flush = (): void => {
    this.uncorkScheduled = false;
    this.session.uncork();
  };
}
