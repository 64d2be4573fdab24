import { randomBytes } from 'node:crypto';
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { parseDocument } from 'yaml';
import { DaemonError } from '../errors';
import { departingPeerIds, diffConfig, isEmptyChange, type ConfigChange } from './config-diff';
import { ConfigError, parseConfig, readConfigText } from './load';
import { applyPeerEdit, describePeerEdit, type PeerEdit } from './peer-edits';
import type { DaemonConfig } from './types';

/**
 * Runtime config changes, one at a time. The YAML file the operator owns is the one source of truth:
 * the admin API edits that file (comments and layout kept, written atomically) and then applies it
 * exactly as SIGHUP or `ilpd reload` apply a file edited by hand, so what runs is always what the file
 * says and a restart changes nothing. A file that is invalid, or a change the running daemon cannot
 * take, changes nothing (not the file, not the daemon) and says why, naming the key.
 */
export interface ChangeOrigin {
  /** admin: the write API (an edit or POST /admin/reload); signal: SIGHUP. */
  readonly source: 'admin' | 'signal';
  /** Who asked: the API caller's declared name and address, or the signal. */
  readonly actor: string;
}

export interface PeerIdsByChange {
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly reconnected: readonly string[];
  readonly disabled: readonly string[];
  readonly enabled: readonly string[];
  readonly removed: readonly string[];
}

/** What a change did, as the API, `ilpd reload` and the log report it. */
export interface AppliedChange {
  /** False when the file said nothing new. */
  readonly changed: boolean;
  readonly file: string;
  readonly what: string;
  readonly peers: PeerIdsByChange;
  readonly routesChanged: boolean;
  readonly fxChanged: boolean;
  readonly adminTokenChanged: boolean;
  /** Keys whose new values wait for the next start. */
  readonly restartRequired: readonly string[];
  /** False when a departing peer still had packets in flight after shutdown.drainTimeoutMs. */
  readonly drained: boolean;
}

/** Applies a validated config to the running daemon (Daemon.applyConfig). */
export type ConfigApplier = (next: DaemonConfig, change: ConfigChange) => Promise<{ drained: boolean }>;

export interface ConfigChangesOptions {
  /** Absolute path of the config file and the text the running config was loaded from. */
  readonly path: string;
  readonly text: string;
  readonly env: NodeJS.ProcessEnv;
  current(): DaemonConfig;
  readonly apply: ConfigApplier;
  readonly logger: Logger;
  /** Counts each outcome (applied, refused, failed). */
  onOutcome?(origin: ChangeOrigin, result: 'applied' | 'refused' | 'failed'): void;
}

export class ConfigChanges {
  private queue: Promise<unknown> = Promise.resolve();
  /** The file text the running config corresponds to (as loaded, or as the API last wrote it). */
  private loadedText: string;

  constructor(private readonly options: ConfigChangesOptions) {
    this.loadedText = options.text;
  }

  get path(): string {
    return this.options.path;
  }

  /** SIGHUP, `ilpd reload`, POST /admin/reload: apply the file as it is now. */
  reload(origin: ChangeOrigin): Promise<AppliedChange> {
    return this.serialized(origin, 'reload the config file', async () => {
      const text = readConfigText(this.options.path);
      const next = this.parse(text);
      return { next, text, write: false };
    });
  }

  /** The admin API: edit the file's peers, then apply it. */
  editPeers(edit: PeerEdit, origin: ChangeOrigin): Promise<AppliedChange> {
    return this.serialized(origin, describePeerEdit(edit), async () => {
      const onDisk = readConfigText(this.options.path);
      if (onDisk !== this.loadedText) {
        throw new DaemonError(
          'ILPD_ERR_CONFIG_FILE_CHANGED',
          `${this.options.path} changed on disk since ilpd loaded it; apply it first (ilpd reload, or SIGHUP), ` +
            'then repeat this change',
        );
      }
      const doc = parseDocument(onDisk, { uniqueKeys: true });
      applyPeerEdit(doc, edit, this.options.env);
      const text = doc.toString();
      return { next: this.parse(text), text, write: true };
    });
  }

  private parse(text: string): DaemonConfig {
    try {
      return parseConfig(text, this.options.env, dirname(this.options.path), `in ${this.options.path}`);
    } catch (err) {
      if (err instanceof ConfigError) throw withPeerIds(err, text);
      throw err;
    }
  }

  private serialized(
    origin: ChangeOrigin,
    what: string,
    prepare: () => Promise<{ next: DaemonConfig; text: string; write: boolean }>,
  ): Promise<AppliedChange> {
    const run = this.queue.then(() => this.change(origin, what, prepare));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async change(
    origin: ChangeOrigin,
    what: string,
    prepare: () => Promise<{ next: DaemonConfig; text: string; write: boolean }>,
  ): Promise<AppliedChange> {
    const { logger } = this.options;
    const context = { source: origin.source, actor: origin.actor, what, file: this.options.path };
    let next: DaemonConfig;
    let text: string;
    let change: ConfigChange;
    try {
      let write: boolean;
      ({ next, text, write } = await prepare());
      change = diffConfig(this.options.current(), next);
      if (change.refused.length > 0) {
        throw new DaemonError(
          'ILPD_ERR_CONFIG_CHANGE_REFUSED',
          `cannot apply ${this.options.path} to the running daemon (nothing was changed):\n` +
            change.refused.map((p) => `  ${p}`).join('\n'),
        );
      }
      if (write) this.write(text);
    } catch (err) {
      this.options.onOutcome?.(origin, 'refused');
      logger.warn({ change: context, err: errorSummary(err) }, `config change refused: ${what}`);
      throw err;
    }
    // From here the file says `next`: a failure below leaves it to the next reload (or start) to apply.
    this.loadedText = text;
    if (isEmptyChange(change)) {
      const unchanged = report(false, this.options.path, what, change, true);
      this.options.onOutcome?.(origin, 'applied');
      logger.info({ change: { ...context, ...unchanged } }, `config change: nothing to apply (${what})`);
      return unchanged;
    }
    let drained: boolean;
    try {
      ({ drained } = await this.options.apply(next, change));
    } catch (err) {
      this.options.onOutcome?.(origin, 'failed');
      logger.error({ change: context, err }, `config change failed part way: ${what}`);
      throw new DaemonError(
        'ILPD_ERR_CONFIG_APPLY_FAILED',
        `${this.options.path} says the new config, but applying it failed part way: ${(err as Error).message}; ` +
          'fix the cause and run ilpd reload (or send SIGHUP) to apply it again',
        { cause: err },
      );
    }
    const applied = report(true, this.options.path, what, change, drained);
    this.options.onOutcome?.(origin, 'applied');
    logger.info({ change: { ...context, ...applied } }, `config change applied: ${what}`);
    if (applied.restartRequired.length > 0) {
      logger.warn(
        { restartRequired: applied.restartRequired },
        `config keys changed that take effect at the next start: ${applied.restartRequired.join(', ')}`,
      );
    }
    return applied;
  }

  /**
   * Atomic replace: a crash leaves the old file or the new one, never half of each. A symlinked file
   * (e.g. a mounted config) is written where the link points, keeping the link and the file's mode.
   */
  private write(text: string): void {
    let target = this.options.path;
    try {
      target = realpathSync(this.options.path);
      const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        writeFileSync(temp, text, { mode: statSync(target).mode & 0o7777, flag: 'wx' });
        renameSync(temp, target);
      } finally {
        rmSync(temp, { force: true });
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new DaemonError(
        'ILPD_ERR_CONFIG_WRITE_FAILED',
        `cannot write ${target} (${code}: ${(err as Error).message}); the admin API saves every change there: ` +
          'make the file and its directory writable by ilpd, or edit the file yourself and send SIGHUP',
        { cause: err },
      );
    }
  }
}

function report(
  changed: boolean,
  file: string,
  what: string,
  change: ConfigChange,
  drained: boolean,
): AppliedChange {
  const ids = (list: readonly { id: string }[]) => list.map((peer) => peer.id);
  const p = change.peers;
  return {
    changed,
    file,
    what,
    peers: {
      added: ids(p.added),
      updated: ids(p.updated),
      reconnected: ids(p.reconnected),
      disabled: ids(p.disabled),
      enabled: ids(p.enabled),
      removed: ids(p.removed),
    },
    routesChanged: change.routesChanged,
    fxChanged: change.fxChanged,
    adminTokenChanged: change.adminTokenChanged,
    restartRequired: change.restartRequired,
    drained: drained || departingPeerIds(change).length === 0,
  };
}

/** `peers[3].balance.maximum: …` → `peers[3] (carol).balance.maximum: …`: API callers know ids, not indexes. */
function withPeerIds(err: ConfigError, text: string): ConfigError {
  let ids: unknown[] = [];
  try {
    const peers = (parseDocument(text).toJS() as { peers?: unknown } | null)?.peers;
    if (Array.isArray(peers)) ids = peers.map((p) => (p as { id?: unknown } | null)?.id);
  } catch {
    return err;
  }
  const problems = err.problems.map((problem) =>
    problem.replace(/^peers\[(\d+)\]/, (whole, index: string) => {
      const id = ids[Number(index)];
      return typeof id === 'string' ? `${whole} (${id})` : whole;
    }),
  );
  return new ConfigError(err.source, problems);
}

function errorSummary(err: unknown): { code?: unknown; message: string; problems?: unknown } {
  const { code, problems } = err as { code?: unknown; problems?: unknown };
  return { code, message: (err as Error).message, ...(problems === undefined ? {} : { problems }) };
}
