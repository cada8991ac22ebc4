// `ldirector check` reads the state file too: a person may have edited it while the
// daemon was stopped, and the daemon would set an unreadable one aside at start.
import type { Config } from "../config/types.js";
import { realId } from "../director/ids.js";
import { defaultStateFile, StateFile } from "./state-file.js";
import { StateFileErrors } from "./state-ini.js";

export interface StateCheck {
  file: string;
  /** "file:line: …", or one line for a file that cannot be read at all. */
  errors: string[];
  /** Entries that name no real or virtual of the config: the daemon drops them. */
  warnings: string[];
  summary?: string;
}

export async function checkStateFile(config: Config, path?: string): Promise<StateCheck> {
  const file = path ?? config.global.stateFile ?? defaultStateFile(config.file);
  let state;
  try {
    state = await new StateFile(file).load();
  } catch (err) {
    if (err instanceof StateFileErrors) return { file, errors: err.errors, warnings: [] };
    if (err instanceof SyntaxError) return { file, errors: [`${file}: ${err.message}`], warnings: [] };
    // Not readable by this user (check run without root): say so, it is no error in the config.
    return { file, errors: [], warnings: [`${file}: not checked: ${(err as Error).message}`] };
  }
  const reals = new Set(config.virtuals.flatMap((v) => v.reals.map((r) => realId(v, r))));
  const virtuals = new Set(config.virtuals.map((v) => v.id));
  const warnings: string[] = [];
  for (const id of state.overrides.keys()) {
    if (!reals.has(id))
      warnings.push(`${file}: the override of ${id} names no real of the config; the daemon drops it`);
  }
  for (const w of state.windows) {
    const known = w.real === "all" ? virtuals.has(w.virtual) : reals.has(`${w.virtual}/${w.real}`);
    if (!known)
      warnings.push(
        `${file}: [window ${w.id}] names no ${w.real === "all" ? "virtual" : "real"} of the config`,
      );
  }
  if (state.overrides.size === 0 && state.windows.length === 0) return { file, errors: [], warnings };
  const summary = `state file ${file}: ${state.overrides.size} override(s), ${state.windows.length} maintenance window(s)`;
  return { file, errors: [], warnings, summary };
}
