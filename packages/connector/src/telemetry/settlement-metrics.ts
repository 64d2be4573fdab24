import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type {
  SettlementDirection,
  SettlementObserver,
  SettlementResult,
} from '../settlement/settlement-observer';

/** Read on every scrape from the SettlementService. */
export interface SettlementSources {
  unsettled(): { peerId: string; amount: bigint }[];
  channels(): {
    peerId: string;
    direction: 'outgoing' | 'incoming';
    chain: string;
    channelId: string;
    deposit?: bigint;
    claimed: bigint;
  }[];
  endpointStates(): { chain: string; endpoint: string; state: string }[];
  chainsReachable(): { chain: string; reachable: boolean }[];
  /** Asset scale of a peer and of its chain, to show amounts in whole units. */
  scales(peerId: string): { assetScale: number; chainScale: number } | undefined;
}

const SETTLEMENT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const VERIFY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
const ENDPOINT_STATES = ['healthy', 'unhealthy', 'open', 'half-open'] as const;

/**
 * Settlement's metrics, in the daemon's registry. Labels are bounded: peers and endpoints come from
 * the config, channels from our own ledger (one or a few per peer), results and directions from
 * fixed sets.
 */
export class SettlementMetrics implements SettlementObserver {
  private readonly settlements: Counter<'peer' | 'direction' | 'result'>;
  private readonly settlementDuration: Histogram<'direction'>;
  private readonly claimsVerified: Counter<'result'>;
  private readonly verifyDuration: Histogram;
  private readonly transactions: Counter<'chain' | 'action' | 'result'>;
  private sources: SettlementSources | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const self = (): SettlementSources | undefined => this.sources;
    this.settlements = new Counter({
      name: 'ilpd_settlements_total',
      help: 'Claims paid to peers and received from them, by result (ok, refused, failed: retried).',
      labelNames: ['peer', 'direction', 'result'],
      registers,
    });
    this.settlementDuration = new Histogram({
      name: 'ilpd_settlement_duration_seconds',
      help: 'Paid: from the decision to pay to the claim booked; received: from the claim arriving to it booked.',
      labelNames: ['direction'],
      buckets: SETTLEMENT_BUCKETS,
      registers,
    });
    this.claimsVerified = new Counter({
      name: 'ilpd_claims_verified_total',
      help: 'Claim signatures checked, by result (valid, invalid).',
      labelNames: ['result'],
      registers,
    });
    this.verifyDuration = new Histogram({
      name: 'ilpd_claim_verify_duration_seconds',
      help: 'Time to check one claim signature (in the signature pool when settlement.workers > 0).',
      buckets: VERIFY_BUCKETS,
      registers,
    });
    this.transactions = new Counter({
      name: 'ilpd_settlement_transactions_total',
      help: 'On-chain transactions (open, deposit, close, finish-close, redeem), by result.',
      labelNames: ['chain', 'action', 'result'],
      registers,
    });
    new Gauge({
      name: 'ilpd_settlement_unsettled',
      help: 'What we owe each peer beyond its settleTo and have not yet paid with a claim, in whole asset units.',
      labelNames: ['peer'],
      registers,
      collect() {
        const sources = self();
        if (sources === undefined) return;
        this.reset();
        for (const { peerId, amount } of sources.unsettled()) {
          const scale = sources.scales(peerId);
          if (scale !== undefined) this.set({ peer: peerId }, Number(amount) / 10 ** scale.assetScale);
        }
      },
    });
    const channelGauge = (
      name: string,
      help: string,
      pick: (c: { deposit?: bigint; claimed: bigint }) => bigint | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['peer', 'direction', 'chain', 'channel'],
        registers,
        collect() {
          const sources = self();
          if (sources === undefined) return;
          this.reset();
          for (const channel of sources.channels()) {
            const value = pick(channel);
            const scale = sources.scales(channel.peerId);
            if (value === undefined || scale === undefined) continue;
            const labels = {
              peer: channel.peerId,
              direction: channel.direction,
              chain: channel.chain,
              channel: channel.channelId,
            };
            this.set(labels, Number(value) / 10 ** scale.chainScale);
          }
        },
      });
    channelGauge(
      'ilpd_channel_deposit',
      'Deposit of each payment channel, in whole coins (ETH, XRP).',
      (c) => c.deposit,
    );
    channelGauge(
      'ilpd_channel_claimed',
      'Best claim signed (outgoing) or held (incoming) on each channel, in whole coins.',
      (c) => c.claimed,
    );
    new Gauge({
      name: 'ilpd_settlement_endpoint_state',
      help: '1 for the state each settlement RPC endpoint is in (healthy, unhealthy, open: its breaker is open, half-open).',
      labelNames: ['chain', 'endpoint', 'state'],
      registers,
      collect() {
        const sources = self();
        if (sources === undefined) return;
        this.reset();
        for (const { chain, endpoint, state } of sources.endpointStates()) {
          for (const candidate of ENDPOINT_STATES) {
            this.set({ chain, endpoint, state: candidate }, candidate === state ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'ilpd_settlement_chain_reachable',
      help: '1 while at least one endpoint of the chain answers.',
      labelNames: ['chain'],
      registers,
      collect() {
        const sources = self();
        if (sources === undefined) return;
        for (const { chain, reachable } of sources.chainsReachable()) this.set({ chain }, reachable ? 1 : 0);
      },
    });
  }

  collectFrom(sources: SettlementSources): void {
    this.sources = sources;
  }

  settled(peerId: string, direction: SettlementDirection, result: SettlementResult, seconds: number): void {
    this.settlements.inc({ peer: peerId, direction, result });
    if (result === 'ok') this.settlementDuration.observe({ direction }, seconds);
  }

  verified(ok: boolean, seconds: number): void {
    this.claimsVerified.inc({ result: ok ? 'valid' : 'invalid' });
    this.verifyDuration.observe(seconds);
  }

  chainTransaction(chain: string, action: string, result: 'ok' | 'failed'): void {
    this.transactions.inc({ chain, action, result });
  }
}
