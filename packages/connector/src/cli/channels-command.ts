import pino from 'pino';
import { loadConfig } from '../config/load';
import { DaemonError } from '../errors';
import { deployChannelsContract } from '../settlement/evm/channels-contract';
import { readSecret } from '../settlement/create-settlement';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runAdminRequest, type AdminCommandIo } from './admin-client';

/** `ilpd channels …`: a running daemon's payment channels (read side and on-chain actions). */

export const CHANNELS_HELP = `ilpd channels — payment channels of a running ilpd (settlement)

Usage:
  ilpd channels list --config <file>                  ours and the peers', as JSON (GET /admin/channels)
  ilpd channels open <peer> <deposit> --config <file> open our channel to the peer (deposit in its asset units)
  ilpd channels deposit <peer> <amount> --config <file>   top our channel to the peer up
  ilpd channels settle <peer> --config <file>         redeem the peer's best claims to us on chain now
  ilpd channels close <peer> --config <file>          close ours (the challenge period starts) and
                                                      redeem and close the peer's channels to us
  ilpd channels deploy --config <file> [--challenge-period <seconds>]
                                                      deploy the EVM channel contract with our key
                                                      (settlement.evm); prints its address

open, deposit, settle and close go through the daemon's admin write API (admin.enabled, admin.token):
the daemon owns the keys, the nonces and the claims. They answer once the transaction is confirmed.
Exit codes: 0 ok, 1 the daemon or the chain failed, 2 bad usage or a request the daemon refused.
`;

const DEFAULT_CHALLENGE_PERIOD_SECONDS = 86_400;

export async function runChannelsCommand(args: readonly string[], io: AdminCommandIo): Promise<number> {
  let config: string | undefined;
  let challengePeriod = DEFAULT_CHALLENGE_PERIOD_SECONDS;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--config' || arg === '-c') config = args[++i];
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (arg === '--challenge-period') challengePeriod = Number(args[++i]);
    else if (arg === '--help' || arg === '-h') {
      io.stdout.write(CHANNELS_HELP);
      return EXIT_OK;
    } else if (arg.startsWith('-')) return usage(io, `unknown option ${arg}`);
    else rest.push(arg);
  }
  const [action, peer, amount, ...extra] = rest;
  if (extra.length > 0) return usage(io, `unexpected arguments ${extra.join(' ')}`);
  const path = (verb: string): string => `/admin/channels/${encodeURIComponent(peer)}/${verb}`;
  switch (action) {
    case 'list':
      return listChannels(config, io);
    case 'open':
    case 'deposit':
      if (peer === undefined || amount === undefined)
        return usage(io, `${action} needs <peer> and an amount`);
      return runAdminRequest(
        config,
        'POST',
        path(action),
        { [action === 'open' ? 'deposit' : 'amount']: amount },
        io,
      );
    case 'settle':
    case 'close':
      if (peer === undefined || amount !== undefined) return usage(io, `${action} needs exactly <peer>`);
      return runAdminRequest(config, 'POST', path(action), {}, io);
    case 'deploy':
      return deploy(config, challengePeriod, io);
    default:
      return usage(io, action === undefined ? 'no channels command' : `unknown channels command ${action}`);
  }
}

/** The read side: the daemon's HTTP port (no token: it changes nothing). */
async function listChannels(configPath: string | undefined, io: AdminCommandIo): Promise<number> {
  if (configPath === undefined) return usage(io, '--config <file> is required');
  try {
    const { http } = loadConfig(configPath, process.env);
    const host = http.host === '0.0.0.0' ? '127.0.0.1' : http.host === '::' ? '::1' : http.host;
    const authority = host.includes(':') ? `[${host}]:${http.port}` : `${host}:${http.port}`;
    const res = await fetch(`http://${authority}/admin/channels`, { signal: AbortSignal.timeout(10_000) });
    io.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
    return res.ok ? EXIT_OK : EXIT_FAILURE;
  } catch (err) {
    io.stderr.write(`ilpd channels list: ${(err as Error).message}; is ilpd running?\n`);
    return EXIT_FAILURE;
  }
}

async function deploy(
  configPath: string | undefined,
  challengePeriodSeconds: number,
  io: AdminCommandIo,
): Promise<number> {
  if (configPath === undefined) return usage(io, '--config <file> is required');
  try {
    const config = loadConfig(configPath, process.env);
    const evm = config.settlement.evm;
    if (evm === undefined) {
      throw new DaemonError('ILPD_ERR_CONFIG', 'settlement.evm: set rpcUrls, chainId and our key to deploy');
    }
    const deployed = await deployChannelsContract({
      rpcUrls: evm.rpcUrls,
      chainId: evm.chainId,
      privateKey: readSecret(
        evm.privateKey,
        evm.privateKeyFile,
        'settlement.evm.privateKeyFile',
        config.configDir,
        true,
      ),
      challengePeriodSeconds,
      confirmations: evm.confirmations,
      logger: pino({ level: 'silent' }),
    });
    io.stdout.write(
      `${JSON.stringify(
        {
          address: deployed.address,
          hash: deployed.hash,
          fee: deployed.fee.toString(),
          challengePeriodSeconds,
        },
        null,
        2,
      )}\n`,
    );
    io.stderr.write(`set settlement.evm.contractAddress: '${deployed.address}'\n`);
    return EXIT_OK;
  } catch (err) {
    io.stderr.write(`ilpd channels deploy: ${(err as Error).message}\n`);
    return (err as { code?: string }).code === 'ILPD_ERR_CONFIG' ? EXIT_USAGE : EXIT_FAILURE;
  }
}

function usage(io: AdminCommandIo, problem: string): number {
  io.stderr.write(`ilpd channels: ${problem}\n\n${CHANNELS_HELP}`);
  return EXIT_USAGE;
}
