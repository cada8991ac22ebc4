// The one table of what an operator may do to a running daemon. Every surface reads it:
// the CLI's words and usage (args.ts), the HTTP routes (api/routes.ts), the CLI's call
// over the control socket (daemon/lifecycle.ts), the buttons of the status page
// (api/page.ts) and the override label of the metrics. Each row has its handler in
// control.ts, checked by the compiler: a new verb is one row here and one handler there.
import type { Override, OverrideMode } from "./override.js";
import {
  CRON,
  DURATION,
  type Param,
  REAL,
  REALS,
  ROLE,
  VIRTUAL,
  WEIGHT,
  WINDOW_ID,
  WINDOW_MODE,
} from "./params.js";
import { Refused } from "./refused.js";
import type { RoleView } from "./role.js";
import { describeWindow, type WindowView } from "./window.js";

export interface VerbResult {
  /** The verb's name. */
  action: string;
  /** The realId the verb acted on. */
  id?: string;
  /** The real's override after the verb (absent: none). */
  override?: Override;
  /** For recheck: the result of the check that was just run. */
  check?: { ok: boolean; reason: string; latencyMs: number; at: number };
  /** For schedule add and remove: the window. */
  window?: WindowView;
  /** For schedule list: every window. */
  windows?: WindowView[];
  /** For role: the role now. */
  role?: RoleView;
}

export interface Verb {
  /** The one word, on the CLI and in the route. */
  name: string;
  /** Another word the API accepts for it (kept for clients of an older name). */
  apiAlias?: string;
  /** What the CLI takes after the config file, before the operands. */
  words: readonly string[];
  params: readonly Param[];
  /** HTTP method and path on the control socket (and the web listener). */
  method: "GET" | "POST";
  route: string;
  /** One line of `ldirector --help`. */
  help: string;
  /** The status page's button; absent: not on the page. */
  button?: {
    label: string;
    /** The real's override mode in which the button does nothing ("" = no override); absent: never idle. */
    idleWhen?: OverrideMode | "";
    /** An operand the page asks for (with a prompt) besides the virtual and the real. */
    ask?: string;
  };
  /** The override this verb sets: also its label in ldirector_real_override{mode=…}. */
  sets?: OverrideMode;
  /** How long the CLI waits for the answer. */
  timeoutMs: number;
  /** The CLI's one-line answer. */
  say(result: VerbResult): string;
}

/** A table write takes one exec; a check may run up to its checktimeout. */
const TABLE_WRITE_MS = 60_000;

function sayOverride(r: VerbResult): string {
  const o = r.override;
  if (!o) return `${r.id}: enabled; its checks decide again`;
  const what = o.mode === "weighted" ? `weight ${o.weight}` : o.mode;
  return `${r.id}: ${what} (since ${new Date(o.since).toISOString()})`;
}

function sayCheck(r: VerbResult): string {
  const c = r.check!;
  return `${r.id}: ${c.ok ? "ok" : "FAIL"} in ${Math.round(c.latencyMs)} ms (${c.reason})`;
}

export const verbs = [
  {
    name: "drain",
    words: ["drain"],
    params: [VIRTUAL, REAL],
    method: "POST",
    route: "/reals/drain",
    help: "weight 0: no new connections, live ones finish",
    button: { label: "Drain", idleWhen: "drained" },
    sets: "drained",
    timeoutMs: TABLE_WRITE_MS,
    say: sayOverride,
  },
  {
    name: "disable",
    words: ["disable"],
    params: [VIRTUAL, REAL],
    method: "POST",
    route: "/reals/disable",
    help: "out of the table, whatever its checks say",
    button: { label: "Disable", idleWhen: "disabled" },
    sets: "disabled",
    timeoutMs: TABLE_WRITE_MS,
    say: sayOverride,
  },
  {
    name: "enable",
    words: ["enable"],
    params: [VIRTUAL, REAL],
    method: "POST",
    route: "/reals/enable",
    help: "back to what its checks say",
    button: { label: "Enable", idleWhen: "" },
    timeoutMs: TABLE_WRITE_MS,
    say: sayOverride,
  },
  {
    name: "weight",
    words: ["weight"],
    params: [VIRTUAL, REAL, WEIGHT],
    method: "POST",
    route: "/reals/weight",
    help: "weight N instead of the configured one while it is up",
    button: { label: "Set weight", ask: "weight" },
    sets: "weighted",
    timeoutMs: TABLE_WRITE_MS,
    say: sayOverride,
  },
  {
    name: "recheck",
    // The API's first word; the CLI cannot take it, `ldirector check` validates the config.
    apiAlias: "check",
    words: ["recheck"],
    params: [VIRTUAL, REAL],
    method: "POST",
    route: "/reals/recheck",
    help: "check it now and print the result",
    button: { label: "Check now" },
    timeoutMs: TABLE_WRITE_MS,
    say: sayCheck,
  },
  {
    name: "schedule-add",
    words: ["schedule", "add"],
    params: [VIRTUAL, REALS, WINDOW_MODE, CRON, DURATION],
    method: "POST",
    route: "/schedule/add",
    help: "a maintenance window: drain or disable at each cron time, for DURATION (90m, 2h)",
    timeoutMs: TABLE_WRITE_MS,
    say: (r) => describeWindow(r.window!),
  },
  {
    name: "schedule-list",
    words: ["schedule", "list"],
    params: [],
    method: "GET",
    route: "/schedule",
    help: "the maintenance windows, open or next",
    timeoutMs: TABLE_WRITE_MS,
    say: (r) => (r.windows!.length ? r.windows!.map(describeWindow).join("\n") : "no maintenance windows"),
  },
  {
    name: "schedule-remove",
    words: ["schedule", "remove"],
    params: [WINDOW_ID],
    method: "POST",
    route: "/schedule/remove",
    help: "remove a window; its reals go back to what their checks say",
    timeoutMs: TABLE_WRITE_MS,
    say: (r) => `window ${r.window!.id} removed`,
  },
  {
    name: "role",
    words: ["role"],
    params: [ROLE],
    method: "POST",
    route: "/role",
    help: "what VRRP says this director is (for keepalived's notify scripts); shown, logged, changes nothing",
    timeoutMs: 10_000,
    say: (r) =>
      `role ${r.role!.role}${r.role!.since === undefined ? "" : ` since ${new Date(r.role!.since).toISOString()}`}`,
  },
] as const satisfies readonly Verb[];

export type VerbName = (typeof verbs)[number]["name"];

/** The verb a CLI or API word names (its name or, for the API, its alias). */
export function verbNamed(word: string, api = false): Verb | undefined {
  return (verbs as readonly Verb[]).find((v) => v.name === word || (api && v.apiAlias === word));
}

/** The CLI line of a verb: `drain VIRTUAL REAL`. */
export function verbUsage(v: Verb): string {
  return [...v.words, ...v.params.map((p) => p.word)].join(" ");
}

/** The override modes a verb sets, in table order: the labels of ldirector_real_override. */
export const overrideModes: readonly OverrideMode[] = (verbs as readonly Verb[]).flatMap((v) =>
  v.sets ? [v.sets] : [],
);

/** Reads a request's operands by the verb's params; throws Refused("bad-request") naming the usage. */
export function readParams(v: Verb, body: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const p of v.params) {
    try {
      out[p.name] = p.read(body[p.name]);
    } catch (err) {
      const example = Object.fromEntries(v.params.map((q) => [q.name, q.word]));
      throw new Refused(
        "bad-request",
        `${(err as Error).message}; ${v.name} takes ${JSON.stringify(example)}`,
      );
    }
  }
  return out;
}
