import { loadConfig } from '../config/load';
import type { DaemonConfig } from '../config/types';
import { balanceReportJson, type BalanceReport } from '../ledger/balance-report';
import { readBalancesOffline } from '../ledger/offline';

/** `ilpd ledger balances`: the operator's view of what each peer owes us and we owe it. */

export interface LedgerCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const EXIT_OK = 0;
/** The ledger could not be read: no store file, unreadable store, cluster unreachable. */
const EXIT_FAILURE = 1;
/** Bad usage or invalid configuration (as everywhere in the ilpd CLI). */
const EXIT_USAGE = 2;

const HELP = `ilpd ledger — inspect the ledger

Usage:
  ilpd ledger balances --config <file>    per peer: balance and pending reservations; per asset: the
                                          connector's own (liquidity) account
           [--json]                       ... as JSON, amounts as decimal strings in base units (the
                                          same document as GET /admin/balances on the running daemon)
  ilpd ledger --help

Balance is from our side: positive = the peer owes us, negative = we owe the peer. "pending in" is
reserved by Prepares from the peer (raises the balance if fulfilled), "pending out" by Prepares we
forwarded to it (lowers it). The table shows amounts in asset units (assetScale applied). Per asset,
"(connector)" is the liquidity account (our side of every packet) and "(settlement)" the settlement
account (the other side of every claim: a claim we paid lowers it, one we received raises it); with
the peers they sum to zero.

embedded backend: reads the SQLite file read-only, so it works while the daemon is stopped (and while
it runs). Reservations a crashed daemon left pending show as pending until its next start voids them.
tigerbeetle backend: asks the cluster (ledger.tigerbeetle.requestTimeoutMs) for the configured peers.

Exit codes: 0 ok, 1 the ledger could not be read, 2 bad usage or invalid configuration.
`;

export async function runLedgerCommand(args: string[], io: LedgerCommandIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(HELP);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (command !== 'balances') {
    io.stderr.write(`ilpd ledger: unknown command "${command}" (try: ilpd ledger --help)\n`);
    return EXIT_USAGE;
  }
  let configPath: string | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--config' || arg === '-c') configPath = rest[++i];
    else if (arg.startsWith('--config=')) configPath = arg.slice('--config='.length);
    else if (arg === '--json') json = true;
    else {
      io.stderr.write(`ilpd ledger balances: unknown argument "${arg}" (try: ilpd ledger --help)\n`);
      return EXIT_USAGE;
    }
  }
  if (configPath === undefined) {
    io.stderr.write('ilpd ledger balances: --config <file> is required\n');
    return EXIT_USAGE;
  }
  let config: DaemonConfig;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n`);
    return EXIT_USAGE;
  }
  let balances: BalanceReport;
  try {
    balances = await readBalancesOffline(config);
  } catch (err) {
    io.stderr.write(`ilpd ledger balances: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  io.stdout.write(json ? `${JSON.stringify(balanceReportJson(balances), null, 2)}\n` : toTable(balances));
  return EXIT_OK;
}

/** An integer amount in base units as a decimal in asset units: 12345 at scale 2 → "123.45". */
export function formatAmount(amount: bigint, scale: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${whole}` : whole;
}

function toTable(b: BalanceReport): string {
  if (b.balances.length === 0) return `no peer accounts in the ${b.backend} ledger yet\n`;
  const header = ['PEER', 'ASSET', 'BALANCE', 'PENDING IN', 'PENDING OUT'];
  const rows = b.balances.map((p) => [
    p.peerId,
    p.assetCode,
    formatAmount(p.balance, p.assetScale),
    formatAmount(p.pendingIncoming, p.assetScale),
    formatAmount(p.pendingOutgoing, p.assetScale),
  ]);
  for (const l of b.liquidity) {
    rows.push(['(connector)', l.assetCode, formatAmount(l.balance, l.assetScale), '', '']);
  }
  for (const s of b.settlement) {
    rows.push(['(settlement)', s.assetCode, formatAmount(s.balance, s.assetScale), '', '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
