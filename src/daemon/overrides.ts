// Operators' runtime overrides (drained, disabled), kept in a state file so they survive
// a restart and a reload: a real an operator took out for a repair must not come back
// because the director was restarted. Written atomically (temp file + rename), so a
// crash mid-write leaves the old file, never half a file.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { OverrideView } from "../api/types.js";
import { instanceName } from "./config-file.js";

/** /var/lib/ldirector, or $LDIRECTOR_STATE_DIR (tests, unprivileged trials). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LDIRECTOR_STATE_DIR || "/var/lib/ldirector";
}

export function defaultStateFile(configPath: string, dir = stateDir()): string {
  return `${dir}/${instanceName(configPath)}.state`;
}

interface StateFile {
  version: 1;
  /** By realId. */
  overrides: Record<string, OverrideView>;
}

export class OverrideStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** The saved overrides; none when the file does not exist. Throws on a file it cannot read or parse. */
  async load(): Promise<Map<string, OverrideView>> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<StateFile>;
    const out = new Map<string, OverrideView>();
    for (const [id, o] of Object.entries(parsed.overrides ?? {})) {
      if ((o?.mode === "drained" || o?.mode === "disabled") && typeof o.since === "number") {
        out.set(id, { mode: o.mode, since: o.since });
      }
    }
    return out;
  }

  /** Saves a copy; saves are written one after another, in call order. */
  save(overrides: ReadonlyMap<string, OverrideView>): Promise<void> {
    const body: StateFile = { version: 1, overrides: Object.fromEntries(overrides) };
    const text = `${JSON.stringify(body, null, 2)}\n`;
    const next = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o755 });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    this.writing = next.catch(() => {});
    return next;
  }
}
