import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** The lock file inside an embedded database's folder. */
export const LOCK_FILE = 'collectifs.lock';

/** Thrown when another live process holds the embedded database's folder. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number; host: string; startedAt: string; command: string },
  ) {
    super(
      `The embedded database in ${dataDir} is already open by another Collectifs process ` +
        `(pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}: ${holder.command}). ` +
        'Two processes writing one PGlite folder would lose writes: stop that one first (for instance the running ' +
        '`pnpm start` or `pnpm dev`), or give this one another DATA_DIR. ' +
        `If no such process runs, delete ${join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** Whether a process with this id runs on this machine (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the embedded database's folder for this process: creates `<dataDir>/collectifs.lock` exclusively with this
 * process's id. A lock left by a process that no longer runs (killed, crashed) is taken over; one held by a live
 * process, or by another machine (which cannot be checked), raises `DataDirLockedError`. PGlite itself locks
 * nothing, so two processes on one folder would both write and one would lose its writes.
 * Returns the release function (removes the file if it is still ours).
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const mine = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      const release = () => {
        process.off('exit', release);
        try {
          if ((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid === process.pid) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
      // Whatever way the process ends (a failed shutdown, a second signal's exit at once), the lock goes with it;
      // only a SIGKILL leaves it, and the next process takes that over.
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: typeof mine | null = null;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as typeof mine;
    } catch {
      // Unreadable or half-written (its writer died between create and write): stale.
    }
    if (holder && (holder.host !== mine.host || alive(holder.pid))) throw new DataDirLockedError(dir, holder);
    try {
      unlinkSync(file);
    } catch {
      // Another process took it over meanwhile: the next attempt sees its lock.
    }
  }
  throw new Error(`Could not take the lock ${file}`);
}
