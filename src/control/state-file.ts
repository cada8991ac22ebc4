// Operators' runtime overrides (drained, disabled, weighted) and maintenance windows,
// kept in a state file (INI, see state-ini.ts) so they survive a restart and a reload: a real an operator took out for a repair must not
// come back because the director was restarted. Written atomically (temp file, fsync,
// rename), so a crash mid-write leaves the old file, never half a file.
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Override } from "./override.js";
import { type Comments, parseState, renderState, type SavedState } from "./state-ini.js";

/** /var/lib/ldirector, or $LDIRECTOR_STATE_DIR (tests, unprivileged trials). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LDIRECTOR_STATE_DIR || "/var/lib/ldirector";
}

/** Keyed by the config file's name, as the pid file and the control socket are. */
export function defaultStateFile(configPath: string, dir = stateDir()): string {
  return `${dir}/${basename(configPath)}.state`;
}

/** An override from the JSON state file of earlier versions; undefined for an entry it does not understand. */
function legacyOverride(o: unknown): Override | undefined {
  const x = o as Partial<{ mode: string; since: number }> | null;
  if (typeof x?.since !== "number") return undefined;
  if (x.mode === "drained" || x.mode === "disabled") return { mode: x.mode, since: x.since };
  return undefined;
}

/** The JSON file of earlier versions (`{"version": 1, "overrides": {...}}`): read it, write INI at the next save. */
function readLegacy(text: string): SavedState {
  const parsed = JSON.parse(text) as { overrides?: Record<string, unknown> };
  const overrides = new Map<string, Override>();
  for (const [id, o] of Object.entries(parsed.overrides ?? {})) {
    const override = legacyOverride(o);
    if (override) overrides.set(id, override);
  }
  return { overrides, windows: [] };
}

/** Reads a state file's text, INI or the earlier JSON; throws StateFileErrors or SyntaxError. */
export function readState(text: string, file: string): { state: SavedState; comments?: Comments } {
  if (text.trimStart().startsWith("{")) return { state: readLegacy(text) };
  return parseState(text, file);
}

export class StateFile {
  private writing: Promise<void> = Promise.resolve();
  /** The comments of the file as last read, written again with every save. */
  private comments: Comments | undefined;

  constructor(readonly path: string) {}

  /** The saved state; empty when the file does not exist. Throws on a file it cannot read or parse. */
  async load(): Promise<SavedState> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { overrides: new Map(), windows: [] };
      throw err;
    }
    const read = readState(text, this.path);
    this.comments = read.comments;
    return read.state;
  }

  /** Saves a copy; saves are written one after another, in call order. */
  save(state: SavedState): Promise<void> {
    const text = renderState(state, this.comments);
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
