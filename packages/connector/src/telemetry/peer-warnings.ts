import type { Logger } from './logger';

/**
 * Warnings a peer (or anyone who can open a socket) can trigger at will. Each is counted in
 * `ilpd_peer_warnings_total{event}` every time, but logged at most once per `log.warningIntervalMs`
 * per event and peer: the first occurrence at once, the rest of the interval as one line with the
 * count. Otherwise a client cycling sockets could write a log line per attempt (tens of thousands
 * per minute) and bury everything else.
 */
export const PEER_WARNING_EVENTS = [
  'unauthenticated_evicted',
  'auth_timeout',
  'auth_failed',
  'preauth_bytes_exceeded',
  'slow_reader',
  'pong_missed',
  'reauth',
  'routes_over_limit',
  'throttled',
] as const;
export type PeerWarningEvent = (typeof PEER_WARNING_EVENTS)[number];

interface Suppressed {
  readonly event: PeerWarningEvent;
  readonly peer: string | undefined;
  readonly level: 'warn' | 'info';
  readonly msg: string;
  count: number;
  lastFields: Record<string, unknown>;
  loggedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface PeerWarningsOptions {
  readonly logger: Logger;
  readonly intervalMs: number;
  /** Called for every occurrence (the metric). */
  readonly count: (event: PeerWarningEvent) => void;
  readonly now?: () => number;
}

export class PeerWarnings {
  /** By event and configured peer id: bounded by the config, never by what a peer sends. */
  private readonly entries = new Map<string, Suppressed>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: PeerWarningsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  warn(
    event: PeerWarningEvent,
    peer: string | undefined,
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    this.report('warn', event, peer, fields, msg);
  }

  info(
    event: PeerWarningEvent,
    peer: string | undefined,
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    this.report('info', event, peer, fields, msg);
  }

  /** Logs what is still suppressed and clears the timers (daemon shutdown). */
  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.flush(entry);
    this.entries.clear();
  }

  private report(
    level: 'warn' | 'info',
    event: PeerWarningEvent,
    peer: string | undefined,
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    this.options.count(event);
    if (this.stopped) return;
    const key = peer === undefined ? event : `${event}\u0000${peer}`;
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry === undefined || now - entry.loggedAt >= this.options.intervalMs) {
      if (entry !== undefined) this.flush(entry);
      this.options.logger[level]({ ...fields, event, ...(peer === undefined ? {} : { peer }) }, msg);
      this.entries.set(key, {
        event,
        peer,
        level,
        msg,
        count: 0,
        lastFields: fields,
        loggedAt: now,
        timer: undefined,
      });
      return;
    }
    entry.count++;
    entry.lastFields = fields;
    if (entry.timer === undefined) {
      const wait = Math.max(0, entry.loggedAt + this.options.intervalMs - now);
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        this.flush(entry);
        entry.loggedAt = this.now();
      }, wait);
      entry.timer.unref();
    }
  }

  /** One line for the occurrences suppressed since the entry was last logged. */
  private flush(entry: Suppressed): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.count === 0) return;
    const { event, peer, count } = entry;
    this.options.logger[entry.level](
      { ...entry.lastFields, event, ...(peer === undefined ? {} : { peer }), suppressed: count },
      `${entry.msg} (${count} more like this, not logged one by one)`,
    );
    entry.count = 0;
  }
}
