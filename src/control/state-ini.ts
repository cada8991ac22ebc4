// The state file's text: INI, one section per override and per maintenance window, so a
// person can read it, and edit it while the daemon is stopped. The `ini` package reads
// and writes the values; a scan of the lines here knows where each section and key is,
// so every error names file:line, and keeps the comments a person wrote: the header and
// the comment lines above each section survive the daemon's next save.
//
//   ; maintenance of web2 until the disk is replaced
//   [override 1]
//   virtual = tcp:10.0.0.1:80
//   real = 10.0.0.3:80
//   mode = drained            ; drained | disabled | weighted (with weight = N)
//   since = 2026-12-02T14:00:00.000Z
//
//   [window 4]
//   virtual = tcp:10.0.0.1:80
//   real = all                ; or address:port
//   mode = drained
//   cron = 0 3 * * 0
//   timezone = Europe/Berlin  ; optional
//   duration = 2h
//   opened = 2026-11-29T02:00:00.000Z   ; written by the daemon
import ini from "ini";
import { MAX_WEIGHT, type Override } from "./override.js";
import { cronProblem, formatDuration, parseDuration, type Window } from "./window.js";

export interface SavedState {
  /** By realId. */
  overrides: Map<string, Override>;
  windows: Window[];
}

/** Comment lines kept from the file read, to be written again. */
export interface Comments {
  header: string[];
  /** By entry: the realId of an override, `window ID` of a window. */
  above: Map<string, string[]>;
}

export class StateFileErrors extends Error {
  override readonly name = "StateFileErrors";
  constructor(
    /** Each "file:line: what is wrong". */
    readonly errors: string[],
  ) {
    super(errors.join("\n"));
  }
}

const HEADER = [
  "; ldirector's runtime state: operators' overrides and maintenance windows.",
  "; Written by the daemon. Edit it only while the daemon is stopped;",
  "; `ldirector check` reads it and names any line it cannot take.",
];

interface Located {
  line: number;
  keys: Map<string, number>;
  comments: string[];
}

/** Where each section and key is, the comments above each section, and lines that are no `key = value`. */
function scan(text: string): {
  sections: Map<string, Located>;
  header: string[];
  problems: [number, string][];
} {
  const sections = new Map<string, Located>();
  const problems: [number, string][] = [];
  const header: string[] = [];
  const pending: string[] = [];
  let current: Located | undefined;
  let seenSection = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === "") {
      // A blank line after the header ends it; comments after it belong to the next section.
      if (!seenSection && pending.length) header.push(...pending.splice(0), "");
      return;
    }
    if (t.startsWith(";") || t.startsWith("#")) {
      pending.push(t);
      return;
    }
    const section = /^\[(.*)\]$/.exec(t);
    if (section) {
      seenSection = true;
      const name = section[1]!.trim();
      if (sections.has(name))
        problems.push([line, `[${name}] appears twice (first at line ${sections.get(name)!.line})`]);
      current = { line, keys: new Map(), comments: pending.splice(0) };
      sections.set(name, current);
      return;
    }
    const key = /^([^=]+?)\s*=/.exec(t);
    if (!key) problems.push([line, `not "key = value": ${JSON.stringify(t)}`]);
    else if (!current) problems.push([line, `${key[1]} is outside any [section]`]);
    else current.keys.set(key[1]!, line);
  });
  if (!seenSection) header.push(...pending);
  while (header[header.length - 1] === "") header.pop();
  return { sections, header, problems };
}

const OVERRIDE_KEYS = new Set(["virtual", "real", "mode", "weight", "since"]);
const WINDOW_KEYS = new Set(["virtual", "real", "mode", "cron", "timezone", "duration", "opened"]);

/** Reads a state file's text; throws StateFileErrors listing every problem with its line. */
export function parseState(text: string, file: string): { state: SavedState; comments: Comments } {
  const { sections, header, problems } = scan(text);
  const errors: [number, string][] = [...problems];
  const data = ini.parse(text) as Record<string, unknown>;
  const state: SavedState = { overrides: new Map(), windows: [] };
  const comments: Comments = { header, above: new Map() };
  for (const [name, at] of sections) {
    const fail = (key: string | undefined, msg: string) =>
      errors.push([(key && at.keys.get(key)) || at.line, `[${name}] ${msg}`]);
    const values = (data[name] ?? {}) as Record<string, unknown>;
    const str = (key: string): string | undefined => {
      const v = values[key];
      if (v === undefined) return undefined;
      if (typeof v !== "string" || v === "") {
        fail(key, `${key} needs a value`);
        return undefined;
      }
      return v;
    };
    const need = (key: string): string | undefined => {
      const v = str(key);
      if (v === undefined && values[key] === undefined) fail(undefined, `has no ${key} =`);
      return v;
    };
    const time = (key: string, required: boolean): number | undefined => {
      const v = required ? need(key) : str(key);
      if (v === undefined) return undefined;
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) fail(key, `${key} = ${v} is no time (write 2026-12-02T14:00:00Z)`);
      return ms;
    };
    const kind = /^(override|window) +(\d+)$/.exec(name);
    if (!kind) {
      fail(undefined, "is neither [override N] nor [window N]");
      continue;
    }
    const known = kind[1] === "override" ? OVERRIDE_KEYS : WINDOW_KEYS;
    for (const key of at.keys.keys()) if (!known.has(key)) fail(key, `has no key "${key}"`);
    const virtual = need("virtual");
    const real = need("real");
    const mode = need("mode");
    if (kind[1] === "override") {
      const since = time("since", true);
      if (virtual === undefined || real === undefined || mode === undefined || since === undefined) continue;
      const id = `${virtual}/${real}`;
      let o: Override | undefined;
      if (mode === "drained" || mode === "disabled") o = { mode, since };
      else if (mode === "weighted") {
        const w = need("weight");
        if (w === undefined) continue;
        if (!/^\d+$/.test(w) || Number(w) > MAX_WEIGHT)
          fail("weight", `weight must be 0..${MAX_WEIGHT}, not ${w}`);
        else o = { mode, weight: Number(w), since };
      } else fail("mode", `mode is drained, disabled or weighted, not ${mode}`);
      if (!o) continue;
      if (state.overrides.has(id)) fail(undefined, `a second override of ${id}`);
      state.overrides.set(id, o);
      if (at.comments.length) comments.above.set(id, at.comments);
      continue;
    }
    const cron = need("cron");
    const timezone = str("timezone");
    const duration = need("duration");
    const openedAt = time("opened", false);
    if (mode !== undefined && mode !== "drained" && mode !== "disabled") {
      fail("mode", `mode is drained or disabled, not ${mode}`);
    }
    if (cron !== undefined) {
      const problem = cronProblem(cron, timezone);
      if (problem) fail(problem.includes("time zone") ? "timezone" : "cron", problem);
    }
    let durationMs: number | undefined;
    if (duration !== undefined) {
      try {
        durationMs = parseDuration(duration);
      } catch (err) {
        fail("duration", (err as Error).message);
      }
    }
    if (virtual === undefined || real === undefined || cron === undefined || durationMs === undefined)
      continue;
    if (mode !== "drained" && mode !== "disabled") continue;
    const w: Window = {
      id: Number(kind[2]),
      virtual,
      real,
      mode,
      cron,
      durationMs,
      ...(timezone !== undefined ? { timezone } : {}),
      ...(openedAt !== undefined && !Number.isNaN(openedAt) ? { openedAt } : {}),
    };
    state.windows.push(w);
    if (at.comments.length) comments.above.set(`window ${w.id}`, at.comments);
  }
  // In file order, as a person reads and fixes them.
  errors.sort((a, b) => a[0] - b[0]);
  if (errors.length) throw new StateFileErrors(errors.map(([line, msg]) => `${file}:${line}: ${msg}`));
  return { state, comments };
}

/** The file's text: the header, then each override and window with the comments kept above it. */
export function renderState(state: SavedState, comments?: Comments): string {
  const parts: string[] = [`${(comments?.header.length ? comments.header : HEADER).join("\n")}\n`];
  const section = (key: string, name: string, values: Record<string, string | number>) => {
    const above = comments?.above.get(key) ?? [];
    parts.push(
      `${above.map((c) => `${c}\n`).join("")}${ini.stringify({ [name]: values }, { whitespace: true })}`,
    );
  };
  let n = 0;
  for (const [id, o] of state.overrides) {
    const cut = id.indexOf("/");
    section(id, `override ${++n}`, {
      virtual: id.slice(0, cut),
      real: id.slice(cut + 1),
      mode: o.mode,
      ...(o.mode === "weighted" ? { weight: o.weight } : {}),
      since: new Date(o.since).toISOString(),
    });
  }
  for (const w of state.windows) {
    section(`window ${w.id}`, `window ${w.id}`, {
      virtual: w.virtual,
      real: w.real,
      mode: w.mode,
      cron: w.cron,
      ...(w.timezone !== undefined ? { timezone: w.timezone } : {}),
      duration: formatDuration(w.durationMs),
      ...(w.openedAt !== undefined ? { opened: new Date(w.openedAt).toISOString() } : {}),
    });
  }
  return parts.join("\n");
}
