// The one table of every directive ldirector reads: where it may appear, what kind of
// value it takes, its default, and whether ldirectord knows it. Adding a directive is
// one row here plus its reading in load.ts, common.ts or virtual.ts; nothing else
// declares directive names, and the readers take every default from this table.

import type { Service } from "../vocabulary.js";

/** global: column 0 only. virtual: inside a virtual block only. both: a block value overrides the global one. */
export type Scope = "global" | "virtual" | "both";

/**
 * How the value is written. ldirectord's own reading of each kind differs in how it
 * treats trailing text, which is what `trailing` below records.
 */
export type ValueType =
  | "positive" // a whole number > 0
  | "count" // a whole number >= 0
  | "port" // 1..65535
  | "yesno"
  | "quoted" // "text" (quotes required, as ldirectord requires them)
  | "text" // "text" or text
  | "raw" // the rest of the line
  | "word" // one of a fixed set of words
  | "address" // virtual=, real=, fallback=, sorryserver=
  | "removed"; // always an error (deprecated by ldirectord)

/**
 * What ldirectord does with a trailing comment or trailing blanks on the line:
 * exact = rejects the line; raw = keeps them in the value; tolerant = ignores them.
 */
export type Trailing = "exact" | "raw" | "tolerant";

export interface DirectiveSpec {
  name: string;
  scope: Scope;
  type: ValueType;
  /** The default as written in a file (documentation and `check` output); absent = unset. */
  default?: string;
  /** ldirector only: ldirectord does not know this directive. */
  extension?: true;
  /** The value is a secret: never echoed in any message. */
  secret?: true;
  trailing: Trailing;
  /** For type "removed": what to write instead. */
  replacement?: string;
}

const row = (
  name: string,
  scope: Scope,
  type: ValueType,
  trailing: Trailing,
  extra: Partial<DirectiveSpec> = {},
): DirectiveSpec => ({ name, scope, type, trailing, ...extra });

export const DIRECTIVES: readonly DirectiveSpec[] = [
  // Block headers.
  row("virtual", "global", "address", "tolerant"),
  row("virtual6", "global", "address", "tolerant"),

  // Global and per-virtual (a block value overrides the global one).
  row("checktimeout", "both", "positive", "tolerant", { default: "5" }),
  row("negotiatetimeout", "both", "positive", "tolerant", { default: "30" }),
  row("connecttimeout", "both", "removed", "tolerant", { replacement: "negotiatetimeout" }),
  row("checkinterval", "both", "positive", "tolerant", { default: "10" }),
  row("checkcount", "both", "positive", "tolerant", { default: "1" }),
  row("failurecount", "both", "positive", "tolerant", { default: "1" }),
  row("fallback", "both", "address", "raw"),
  row("fallback6", "both", "address", "raw"),
  row("fallbackcommand", "both", "text", "raw"),
  row("quiescent", "both", "yesno", "exact", { default: "no" }),
  row("emailalert", "both", "text", "raw", { default: "" }),
  row("emailalertfreq", "both", "count", "tolerant", { default: "0" }),
  row("emailalertstatus", "both", "word", "exact", { default: "all" }),
  row("smtp", "both", "word", "tolerant"),
  row("cleanstop", "both", "yesno", "exact", { default: "yes" }),

  // Global only.
  row("timeout", "global", "removed", "tolerant", { replacement: "checktimeout and negotiatetimeout" }),
  row("autoreload", "global", "yesno", "exact", { default: "no" }),
  row("callback", "global", "quoted", "tolerant"),
  row("logfile", "global", "quoted", "tolerant", { default: '"/var/log/ldirectord.log"' }),
  row("execute", "global", "raw", "raw"),
  row("fork", "global", "yesno", "exact", { default: "no" }),
  row("supervised", "global", "yesno", "exact", { default: "no" }),
  row("readdquiescent", "global", "yesno", "exact", { default: "no" }),
  row("emailalertfrom", "global", "raw", "raw"),
  row("maintenancedir", "global", "raw", "raw"),

  // Per-virtual only.
  row("real", "virtual", "address", "tolerant"),
  row("real6", "virtual", "address", "tolerant"),
  row("request", "virtual", "quoted", "tolerant", { default: '"/"' }),
  row("receive", "virtual", "quoted", "tolerant", { default: '""' }),
  row("checktype", "virtual", "word", "tolerant", { default: "negotiate" }),
  row("checkcommand", "virtual", "text", "raw", { default: "/bin/true" }),
  row("checkport", "virtual", "port", "tolerant"),
  row("login", "virtual", "quoted", "tolerant", { default: '""' }),
  row("passwd", "virtual", "quoted", "tolerant", { default: '""', secret: true }),
  row("database", "virtual", "quoted", "tolerant", { default: '""' }),
  row("secret", "virtual", "quoted", "tolerant", { default: '""', secret: true }),
  row("load", "virtual", "quoted", "tolerant"),
  row("scheduler", "virtual", "word", "tolerant", { default: "wrr" }),
  row("persistent", "virtual", "count", "tolerant"),
  row("netmask", "virtual", "word", "exact"),
  row("schedflags", "virtual", "word", "tolerant"),
  row("protocol", "virtual", "word", "tolerant", { default: "tcp" }),
  row("ops", "virtual", "yesno", "exact", { default: "no" }),
  row("service", "virtual", "word", "tolerant"),
  row("httpmethod", "virtual", "word", "tolerant", { default: "GET" }),
  row("virtualhost", "virtual", "text", "raw"),
  row("monitorfile", "virtual", "text", "raw"),
  row("servicename", "virtual", "raw", "raw"),
  row("comment", "virtual", "raw", "raw"),

  // ldirector extensions (same name=value syntax; `ldirector check` names them).
  row("ipvsadm", "global", "text", "raw", { extension: true }),
  row("sorryserver", "global", "address", "tolerant", { extension: true }),
  row("sorrypage", "global", "text", "raw", { extension: true }),
  row("metricsaddress", "global", "address", "tolerant", { extension: true }),
  row("metricshost", "global", "raw", "raw", { extension: true }),
  row("resyncinterval", "global", "count", "tolerant", { extension: true, default: "30" }),
  row("webcontrol", "global", "yesno", "exact", { extension: true, default: "no" }),
  row("controlsocket", "global", "text", "raw", { extension: true }),
  row("statefile", "global", "text", "raw", { extension: true }),
  row("tlsverify", "both", "yesno", "exact", { extension: true, default: "no" }),
  row("tlscafile", "both", "text", "raw", { extension: true }),
  // The IPVS connection sync daemon of a director pair (docs: README "Running a pair").
  row("syncdaemon", "global", "word", "exact", { extension: true, default: "no" }),
  row("syncinterface", "global", "raw", "raw", { extension: true }),
  row("syncid", "global", "count", "tolerant", { extension: true, default: "0" }),
];

const BY_NAME: ReadonlyMap<string, DirectiveSpec> = new Map(DIRECTIVES.map((d) => [d.name, d]));

export function findDirective(name: string): DirectiveSpec | undefined {
  return BY_NAME.get(name);
}

/**
 * A directive's default as the table writes it, quotes removed. Asking for a directive
 * without a default is a bug in ldirector, not in a config file: the config tests load
 * every default, so it cannot ship.
 */
export function defaultText(name: string): string {
  const text = BY_NAME.get(name)?.default;
  if (text === undefined) throw new Error(`directive ${name} has no default in the table`);
  return text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

export function defaultNumber(name: string): number {
  return Number(defaultText(name));
}

export function defaultYesNo(name: string): boolean {
  return defaultText(name) === "yes";
}

/** A default that is one of a fixed list of words, narrowed to the list's type. */
export function defaultWord<T extends string>(name: string, words: readonly T[]): T {
  const text = defaultText(name);
  const word = words.find((w) => w === text);
  if (word === undefined) throw new Error(`directive ${name}: default ${text} is not one of its words`);
  return word;
}

/** The closest known directive name, for "did you mean" hints; undefined when nothing is close. */
export function suggestDirective(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (BY_NAME.has(lower)) return lower;
  let best: string | undefined;
  let bestDistance = 3;
  for (const d of DIRECTIVES) {
    const distance = editDistance(lower, d.name);
    if (distance < bestDistance) {
      best = d.name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** ldirectord's ld_port_to_service: the default `service=` of a virtual by its numeric port. */
export const SERVICE_BY_PORT: ReadonlyMap<number, Service> = new Map<number, Service>([
  [21, "ftp"],
  [25, "smtp"],
  [53, "dns"],
  [80, "http"],
  [110, "pop"],
  [119, "nntp"],
  [143, "imap"],
  [389, "ldap"],
  [443, "https"],
  [587, "submission"],
  [636, "ldaps"],
  [993, "imaps"],
  [995, "pops"],
  [1521, "oracle"],
  [1812, "radius"],
  [3128, "http_proxy"],
  [3306, "mysql"],
  [5060, "sip"],
  [5432, "pgsql"],
]);

/** The inverse (ld_service_to_port): the check port of a real without a port. */
export const PORT_BY_SERVICE: ReadonlyMap<Service, number> = new Map(
  [...SERVICE_BY_PORT].map(([port, service]) => [service, port]),
);

export const SYSLOG_FACILITIES = [
  "auth",
  "authpriv",
  "cron",
  "daemon",
  "ftp",
  "kern",
  "lpr",
  "mail",
  "news",
  "syslog",
  "user",
  "uucp",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
] as const;
