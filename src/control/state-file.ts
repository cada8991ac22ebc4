// Operators' runtime overrides (drained, disabled, weighted), kept in a state file so
// they survive a restart and a reload: a real an operator took out for a repair must not
// come back because the director was restarted. Written atomically (temp file, fsync,
// rename), so a crash mid-write leaves the old file, never half a file.
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { instanceName } from "../daemon/config-file.js";
import { MAX_WEIGHT, type Override } from "./override.js";

/** /var/lib/ldirector, or $LDIRECTOR_STATE_DIR (tests, unprivileged trials). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LDIRECTOR_STATE_DIR || "/var/lib/ldirector";
}

export function defaultStateFile(configPath: string, dir = stateDir()): string {
  return `${dir}/${instanceName(configPath)}.state`;
}

interface StateFileBody {
  version: 1;
  /** By realId. */
  overrides: Record<string, Override>;
}

/** One override as read from a file; undefined for an entry this version does not understand. */
function readOverride(o: unknown): Override | undefined {
  const x = o as Partial<{ mode: string; since: number; weight: number }> | null;
  if (typeof x?.since !== "number") return undefined;
  if (x.mode === "drained" || x.mode === "disabled") return { mode: x.mode, since: x.since };
  if (x.mode === "weighted" && Number.isInteger(x.weight) && x.weight! >= 0 && x.weight! <= MAX_WEIGHT)
    return { mode: "weighted", weight: x.weight!, since: x.since };
  return undefined;
}

export class StateFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** The saved overrides; none when the file does not exist. Throws on a file it cannot read or parse. */
  async load(): Promise<Map<string, Override>> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<StateFileBody>;
    const out = new Map<string, Override>();
    for (const [id, o] of Object.entries(parsed.overrides ?? {})) {
      const override = readOverride(o);
      if (override) out.set(id, override);
    }
    return out;
  }

  /** Saves a copy; saves are written one after another, in call order. */
  save(overrides: ReadonlyMap<string, Override>): Promise<void> {
    const body: StateFileBody = { version: 1, overrides: Object.fromEntries(overrides) };
    const text = `${JSON.stringify(body, null, 2)}\n`;
    const next = this.writing.then(() => writeAtomically(this.path, text));
    this.writing = next.catch(() => {});
    return next;
  }
}

/**
 * Replaces `path` with `text` so that a reader (or a crash) sees the old file or the new
 * one, never a mix: the data reaches the disk before the rename makes it the file.
 */
export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.tmp`;
  const f = await open(tmp, "w", 0o600);
  try {
    await f.writeFile(text);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, path);
}
