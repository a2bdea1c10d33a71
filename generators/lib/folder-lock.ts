/**
 * A lock between processes on one machine: a folder holding one owner file, `pid-<pid>-<token>`, named after the
 * holder's pid and a random token, so that the lock of a process that died without removing it can be taken over.
 * Used by the Python environments' installs (`toolchain/python-env.ts`) and by `pipeline:local`'s output folder.
 * `lockHolder` says who holds one without taking it (the catalog, of a run folder).
 *
 * Each step is one atomic filesystem call, so that two processes never hold the lock at once:
 * - taking: the folder is made beside the lock with its owner file inside, then renamed to the lock's name. The rename
 *   fails when a lock folder holding a file is there, so a lock is never seen without its owner.
 * - taking over a dead holder's lock: its owner file is deleted by name, then the folder, emptied, with rmdir. The
 *   token makes the name unique to that lock: once another process has taken the lock over, the name is gone and the
 *   delete fails, instead of deleting the new holder's file. rmdir removes only an empty folder, never a held lock.
 *   Only one of the processes that find the same dead holder deletes its file; the others try again.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type LockAttempt = { readonly taken: true } | { readonly taken: false; readonly owner: number | undefined };

/** The owner file's name: `pid-<pid>-<token>`; `pid`, holding the pid, is the owner file of earlier versions. */
const OWNER_FILE = /^pid-(\d+)-[0-9a-f]+$/;
const LEGACY_OWNER_FILE = "pid";

/**
 * One attempt at the lock folder `mutex` for this process; `owner` is the holder's pid (undefined: the folder holds no
 * owner file, but other files, left to a person).
 */
export function tryLock(mutex: string): LockAttempt {
  for (;;) {
    if (create(mutex)) return { taken: true };
    const owner = readOwner(mutex);
    // Released meanwhile, or emptied by a process taking over a dead holder (nobody holds it; `create` replaces it).
    if (owner === "gone" || owner === "empty") continue;
    if (owner === "unknown") return { taken: false, owner: undefined };
    if (isAlive(owner.pid)) return { taken: false, owner: owner.pid };
    // The holder is dead. Whether this process or another deletes its owner file, the folder is then emptied: try
    // again (removing the folder first if it is still the emptied one).
    if (removed(() => unlinkSync(join(mutex, owner.file)))) removed(() => rmdirSync(mutex));
  }
}

/**
 * Who holds the lock `mutex`, without taking it: undefined when nobody does (no lock folder, an empty one, or a
 * holder that no longer exists, whose lock the next `tryLock` takes over); `pid` undefined when the folder holds files
 * but no owner file (left to a person, as `tryLock` leaves it).
 */
export function lockHolder(mutex: string): { readonly pid: number | undefined } | undefined {
  let owner: ReturnType<typeof readOwner>;
  try {
    owner = readOwner(mutex);
  } catch (error) {
    // A file, not a folder, under the lock's name: no lock (`tryLock` would fail on it and say so).
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw error;
  }
  if (owner === "gone" || owner === "empty") return undefined;
  if (owner === "unknown") return { pid: undefined };
  return isAlive(owner.pid) ? { pid: owner.pid } : undefined;
}

/**
 * Makes `pid` the holder of the lock `mutex`, which this process holds: for a child process that outlives it (one
 * that even SIGKILL did not end), so that others wait for that process instead of taking the lock over once this one
 * has ended. When that process has ended too, the lock is taken over as any dead holder's. One rename, in the folder.
 */
export function handOverLock(mutex: string, pid: number): void {
  const mine = readdirSync(mutex).find((file) => OWNER_FILE.exec(file)?.[1] === String(process.pid));
  if (!mine) throw new Error(`Bug: handOverLock(${mutex}) called by a process that does not hold it.`);
  renameSync(join(mutex, mine), join(mutex, mine.replace(/^pid-\d+-/, `pid-${pid}-`)));
}

/** Makes the lock folder, owner file inside, under another name, and renames it to `mutex`: false when it is there. */
function create(mutex: string): boolean {
  const token = randomBytes(8).toString("hex");
  const staging = `${mutex}.new-${process.pid}-${token}`;
  mkdirSync(staging);
  try {
    writeFileSync(join(staging, `pid-${process.pid}-${token}`), `${process.pid}\n`);
    // A rename onto a folder replaces it only when it is empty (https://man7.org/linux/man-pages/man2/rename.2.html,
    // ENOTEMPTY/EEXIST otherwise): a lock emptied by a takeover, which nobody holds, or one an earlier version of this
    // file left between its mkdir and its pid file (killed there: such a folder used to wait a minute).
    renameSync(staging, mutex);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true }); // nothing left there after the rename
  }
}

/**
 * The holder of `mutex` and its owner file; "gone" when there is no lock folder; "empty" when it holds nothing (an
 * earlier version's lock before its pid was written, or one emptied by a takeover); "unknown" when it holds files but
 * no readable owner.
 */
function readOwner(mutex: string): { readonly pid: number; readonly file: string } | "gone" | "empty" | "unknown" {
  let entries: string[];
  try {
    entries = readdirSync(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw error;
  }
  if (entries.length === 0) return "empty";
  for (const file of entries) {
    const match = OWNER_FILE.exec(file);
    if (match) return { pid: Number(match[1]), file };
  }
  if (!entries.includes(LEGACY_OWNER_FILE)) return "unknown";
  try {
    const pid = Number.parseInt(readFileSync(join(mutex, LEGACY_OWNER_FILE), "utf8"), 10);
    return Number.isInteger(pid) ? { pid, file: LEGACY_OWNER_FILE } : "unknown";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone"; // taken over meanwhile: try again
    throw error;
  }
}

/** Runs a removal; false when another process removed it first, or took the lock (a lost race, not an error). */
function removed(remove: () => void): boolean {
  try {
    remove();
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
