/**
 * A lock between processes on one machine: a folder, since a mkdir is atomic (whoever creates it holds the lock),
 * with the holder's pid inside, so that the lock of a process that died without removing it can be taken over.
 * Used by the Python environments' installs (`toolchain/python-env.ts`) and by `pipeline:local`'s output folder.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type LockAttempt = { readonly taken: true } | { readonly taken: false; readonly owner: number | undefined };

/** One attempt at the lock folder `mutex` for this process; `owner` is the holder's pid (undefined: not written yet). */
export function tryLock(mutex: string): LockAttempt {
  for (;;) {
    try {
      mkdirSync(mutex);
      writeFileSync(join(mutex, "pid"), `${process.pid}\n`);
      return { taken: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readOwner(mutex);
    if (owner !== undefined && !isAlive(owner)) {
      rmSync(mutex, { recursive: true, force: true });
      continue;
    }
    return { taken: false, owner };
  }
}

function readOwner(mutex: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(mutex, "pid"), "utf8"), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    // Just created and pid not written yet; or created long ago by a process killed in between (taken over after a
    // minute).
    const age = Date.now() - (statSync(mutex, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    return age > 60_000 ? -1 : undefined;
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
