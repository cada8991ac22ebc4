// One pid file per config file, as ldirectord keeps (/run/ldirectord.<name>.pid), so
// `stop`, `reload` and `status` find the daemon that runs a given config. ldirector
// writes it in every mode (also -d and supervised), which fixes ldirectord's
// unreachable foreground instances.

import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

export interface PidFileHolder {
  pid: number;
  /** A process with that pid exists (kill(pid, 0) succeeds or says EPERM). */
  alive: boolean;
  /** Its command line contains "ldirector": not a reused pid of an unrelated process. */
  ours: boolean;
}

/** Thrown by writePidFile when another live ldirector already runs this config. */
export class PidFileHeldError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`${path}: ldirector for this configuration is already running with pid ${pid}`);
    this.name = "PidFileHeldError";
  }
}

export function pidFilePath(configPath: string, runDir = "/run"): string {
  return `${runDir}/ldirector.${basename(configPath)}.pid`;
}

/**
 * The pid file's holder, or undefined when there is no pid file or it holds no pid
 * (an empty or garbled file says nothing about a running daemon).
 */
export async function readPidFile(path: string): Promise<PidFileHolder | undefined> {
  const pid = await readPid(path);
  if (pid === undefined) return undefined;
  const alive = isAlive(pid);
  return { pid, alive, ours: alive && (await isLdirector(pid)) };
}

/** Writes our pid atomically (temp file + rename), so a reader never sees a half-written file. */
export async function writePidFile(path: string, pid = process.pid): Promise<void> {
  const holder = await readPidFile(path);
  if (holder?.alive && holder.ours && holder.pid !== pid) throw new PidFileHeldError(path, holder.pid);
  const temp = `${path}.${pid}.tmp`;
  try {
    await writeFile(temp, `${pid}\n`, { mode: 0o644 });
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/**
 * Removes the pid file only if it still names `pid`: a daemon that lost the file to a
 * newer instance must not delete that instance's file on its way out.
 * Returns whether the file was removed.
 */
export async function removePidFile(path: string, pid = process.pid): Promise<boolean> {
  if ((await readPid(path)) !== pid) return false;
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

async function readPid(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const m = /^\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** This build's cli.js: a daemon run from a checkout (`node /src/lb/dist/cli.js`) has no "ldirector" in its command line. */
const ownCli = fileURLToPath(new URL("../cli.js", import.meta.url));

async function isLdirector(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("ldirector") || cmdline.split("\0").includes(ownCli);
  } catch {
    return false;
  }
}
