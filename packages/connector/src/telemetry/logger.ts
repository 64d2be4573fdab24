import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { DaemonConfig } from '../config/types';

export type { Logger };

/** How log lines are written: one JSON object per line, or pino-pretty's human-readable lines. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly format?: LogFormat;
  /** Where lines go (stdout when omitted). */
  readonly destination?: DestinationStream;
}

/**
 * `log.format: auto` (the default) is pretty on an interactive terminal and JSON everywhere else
 * (pipes, files, journald, containers), so log shippers always get JSON and a person at a terminal
 * never has to read it.
 */
export function resolveLogFormat(
  configured: DaemonConfig['log']['format'],
  stdoutIsTty: boolean | undefined,
): LogFormat {
  if (configured !== 'auto') return configured;
  return stdoutIsTty === true ? 'pretty' : 'json';
}

/**
 * The daemon's one logger. The packet path logs at debug/trace only, so at the default level (info) a
 * packet costs one `isLevelEnabled`-style check and no formatting. Pretty output is formatted in this
 * thread and written synchronously, like the JSON default: no transport thread to start or flush, and
 * the last lines before an exit are never lost.
 */
export function createLogger(level: DaemonConfig['log']['level'], options: LoggerOptions = {}): Logger {
  const settings = { name: 'ilpd', level, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.format === 'pretty') {
    const pretty = pinoPretty({
      colorize: options.destination === undefined && process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      sync: true,
      ...(options.destination === undefined ? {} : { destination: options.destination }),
    });
    return pino(settings, pretty);
  }
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
