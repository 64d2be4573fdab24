import pino, { type DestinationStream, type Logger } from 'pino';
import type { DaemonConfig } from '../config/types';

export type { Logger };

/**
 * The daemon's one logger: pino JSON lines on stdout. The packet path logs at debug/trace only, so at
 * the default level (info) a packet costs one `isLevelEnabled`-style check and no formatting.
 */
export function createLogger(level: DaemonConfig['log']['level'], destination?: DestinationStream): Logger {
  const options = { name: 'ilpd', level, timestamp: pino.stdTimeFunctions.isoTime };
  return destination === undefined ? pino(options) : pino(options, destination);
}
