// ipvsadm's text forms, in and out: `-S -n` (the stable one, also what `-R` reads), `-L -n`
// (counters, and the form ldirectord parses), `-L -n --thresholds`, and one `-R` line per Op.

import type { Dest, ForwardMethod, IpFamily, Service, ServiceProtocol, Table } from "./model.js";
import { destKey, serviceKey } from "./model.js";
import { canonicalAddress, familyOf } from "./normalize.js";
import type { Op, ServiceSpec } from "./ops.js";

export class TableParseError extends Error {
  override readonly name = "TableParseError";
}

// ---------------------------------------------------------------- addresses

/** "addr:port" with IPv6 in brackets, as ipvsadm prints and reads it. */
export function formatAddrPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function parseAddrPort(text: string, line: number): { address: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(text) ?? /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  if (!m) throw new TableParseError(`line ${line}: not an address:port: ${JSON.stringify(text)}`);
  return { address: canonicalAddress(m[1]!), port: Number(m[2]) };
}

function addressBytes(address: string): number[] {
  if (!address.includes(":")) return address.split(".").map((p) => Number(p) & 255);
  const [head = "", tail] = address.split("::") as [string, string | undefined];
  const groups = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [(g >> 8) & 255, g & 255]);
}

/**
 * An address as a string that sorts as its bytes do: "4" or "6" (IPv4 first, as ipvsadm
 * compares lengths first), then every byte in two hex digits. Sorting 10,000 dests
 * compares ~140,000 times: the key is made once per address, not twice per comparison.
 */
function addressKey(address: string): string {
  let key = SORT_KEYS.get(address);
  if (key === undefined) {
    const bytes = addressBytes(address);
    key = (bytes.length === 4 ? "4" : "6") + bytes.map((b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
    if (SORT_KEYS.size >= SORT_KEYS_MAX) SORT_KEYS.clear();
    SORT_KEYS.set(address, key);
  }
  return key;
}

/** Addresses recur on every pass (the same reals): their keys are kept, up to a bound. */
const SORT_KEYS = new Map<string, string>();
const SORT_KEYS_MAX = 100_000;

const byKey = <T>(a: { k: string; v: T }, b: { k: string; v: T }): number =>
  a.k < b.k ? -1 : a.k > b.k ? 1 : 0;

/** Port as five digits, so that "address key + port" sorts as (address, port). */
const portKey = (port: number): string => String(port).padStart(5, "0");

// ---------------------------------------------------------------- order

const PROTOCOL_NUMBER: Record<ServiceProtocol, number> = { tcp: 6, udp: 17, sctp: 132, fwmark: 6 };
const FAMILY_NUMBER: Record<IpFamily, number> = { inet: 2, inet6: 10 };

function serviceSortKey(s: Service): string {
  return [
    String(s.fwmark ?? 0).padStart(10, "0"),
    String(FAMILY_NUMBER[s.family]).padStart(2, "0"),
    String(PROTOCOL_NUMBER[s.protocol]).padStart(3, "0"),
    addressKey(s.address ?? "0.0.0.0"),
    portKey(s.port),
  ].join(" ");
}

function sortedBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((v) => ({ k: key(v), v }))
    .sort(byKey)
    .map((x) => x.v);
}

/**
 * ipvsadm's listing order: services by (fwmark, family, protocol, address, port), dests by
 * (address, port). ipvsadm compares with wrapping int subtraction; this is the true order.
 */
export function sortTable(table: Table): Table {
  return {
    services: sortedBy(
      table.services.map((s) => ({
        ...s,
        dests: sortedBy(s.dests, (d: Dest) => addressKey(d.address) + portKey(d.port)),
      })),
      serviceSortKey,
    ),
  };
}

// ---------------------------------------------------------------- option words

const FORWARD_SWITCH: Record<ForwardMethod, string> = { masq: "-m", route: "-g", tunnel: "-i", local: "-g" };
const FORWARD_NAME: Record<string, ForwardMethod> = {
  Masq: "masq",
  Route: "route",
  Tunnel: "tunnel",
  Local: "local",
};

/**
 * The virtual-service words: `-t ADDR:PORT`, `-u …`, `--sctp-service …`, `-f MARK [-6]`.
 * The mark is written unsigned (ipvsadm reads it with strtoul; the negative form it prints
 * for marks from 2^31 up is refused as input).
 */
export function formatServiceArgs(
  s: Pick<ServiceSpec, "protocol" | "family" | "address" | "port" | "fwmark">,
): string {
  switch (s.protocol) {
    case "fwmark":
      return s.family === "inet6" ? `-f ${s.fwmark} -6` : `-f ${s.fwmark}`;
    case "tcp":
      return `-t ${formatAddrPort(s.address ?? "", s.port)}`;
    case "udp":
      return `-u ${formatAddrPort(s.address ?? "", s.port)}`;
    case "sctp":
      return `--sctp-service ${formatAddrPort(s.address ?? "", s.port)}`;
  }
}

function isDefaultNetmask(s: Pick<ServiceSpec, "family" | "netmask">): boolean {
  if (s.netmask === undefined || s.netmask === "") return true;
  return s.family === "inet6" ? Number(s.netmask) === 128 : s.netmask === "255.255.255.255";
}

/** The settings after the service words, in ipvsadm -S's order. */
function formatServiceSettings(s: ServiceSpec): string {
  let out = ` -s ${s.scheduler || "wlc"}`;
  if (s.persistence !== undefined) {
    out += ` -p ${s.persistence}`;
    if (!isDefaultNetmask(s)) out += ` -M ${s.netmask}`;
  }
  if (s.persistenceEngine) out += ` --pe ${s.persistenceEngine}`;
  if (s.ops) out += " -o";
  if (s.schedFlags.length > 0) out += ` -b ${s.schedFlags.join(",")}`;
  return out;
}

function formatDestSettings(d: Dest): string {
  return ` ${FORWARD_SWITCH[d.forward]} -w ${d.weight}`;
}

// ---------------------------------------------------------------- -S -n

/**
 * The table as `ipvsadm -S -n` prints it (sorted; tunnel dests carry `--tun-type ipip` as
 * 1.31 prints them). ipvsadm -S drops thresholds; we append `-x`/`-y` when non-zero so the
 * text restores the whole table with `ipvsadm -R`.
 */
export function formatSave(table: Table): string {
  let out = "";
  for (const s of sortTable(table).services) {
    const svc = formatServiceArgs(s);
    out += `-A ${svc}${formatServiceSettings(s)}\n`;
    for (const d of s.dests) {
      out += `-a ${svc} -r ${formatAddrPort(d.address, d.port)}${formatDestSettings(d)}`;
      if (d.forward === "tunnel") out += " --tun-type ipip";
      if (d.upperThreshold !== 0) out += ` -x ${d.upperThreshold}`;
      if (d.lowerThreshold !== 0) out += ` -y ${d.lowerThreshold}`;
      out += "\n";
    }
  }
  return out;
}

const SERVICE_OPTION: Record<string, ServiceProtocol> = {
  "-t": "tcp",
  "--tcp-service": "tcp",
  "-u": "udp",
  "--udp-service": "udp",
  "--sctp-service": "sctp",
};

interface ParsedLine {
  command: string;
  service: ServiceSpec;
  dest?: Dest;
}

const TAKES_VALUE = new Set([
  "-t",
  "--tcp-service",
  "-u",
  "--udp-service",
  "--sctp-service",
  "-f",
  "--fwmark-service",
  "-s",
  "--scheduler",
  "-M",
  "--netmask",
  "--pe",
  "-b",
  "--sched-flags",
  "-r",
  "--real-server",
  "-w",
  "--weight",
  "-x",
  "--u-threshold",
  "-y",
  "--l-threshold",
  "--tun-type",
  "--tun-port",
]);

function toInt(text: string | undefined, line: number, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new TableParseError(`line ${line}: ${what} is not a number: ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/**
 * A firewall mark as ipvsadm prints it. The kernel's mark is a u32, but ipvsadm 1.31 prints
 * it with %d, so marks from 2^31 up come out negative (`-A -f -1294967296`, `FWM  -1`):
 * read those back as the unsigned mark they are. (ipvsadm itself refuses the negative form
 * on input, so what we write is always the unsigned one: see formatServiceArgs.)
 */
export function parseFwmark(text: string | undefined, line: number): number {
  const mark = text !== undefined && /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(mark >= -(2 ** 31) && mark <= 2 ** 32 - 1) || mark === 0) {
    throw new TableParseError(`line ${line}: firewall mark is not a 32-bit mark: ${JSON.stringify(text)}`);
  }
  return mark < 0 ? mark + 2 ** 32 : mark;
}

/** One `-A …` or `-a …` line of the save form. */
function parseSaveLine(words: string[], line: number): ParsedLine {
  const [command = "", ...rest] = words;
  const service: ServiceSpec = {
    protocol: "tcp",
    family: "inet",
    port: 0,
    scheduler: "wlc",
    schedFlags: [],
    ops: false,
  };
  let dest: Dest | undefined;
  let haveService = false;
  let forward: ForwardMethod = "route";
  let weight = 1;
  let upper = 0;
  let lower = 0;
  let real: { address: string; port: number } | undefined;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    let value: string | undefined;
    if (TAKES_VALUE.has(word)) value = rest[++i];
    else if ((word === "-p" || word === "--persistent") && rest[i + 1] && !rest[i + 1]!.startsWith("-")) {
      value = rest[++i];
    }
    switch (word) {
      case "-t":
      case "--tcp-service":
      case "-u":
      case "--udp-service":
      case "--sctp-service": {
        const ap = parseAddrPort(value ?? "", line);
        service.protocol = SERVICE_OPTION[word]!;
        service.address = ap.address;
        service.port = ap.port;
        service.family = familyOf(ap.address);
        haveService = true;
        break;
      }
      case "-f":
      case "--fwmark-service":
        service.protocol = "fwmark";
        service.fwmark = parseFwmark(value, line);
        service.port = 0;
        haveService = true;
        break;
      case "-6":
      case "--ipv6":
        service.family = "inet6";
        break;
      case "-s":
      case "--scheduler":
        service.scheduler = value ?? "wlc";
        break;
      case "-p":
      case "--persistent":
        service.persistence = value === undefined ? 360 : toInt(value, line, "persistence timeout");
        break;
      case "-M":
      case "--netmask":
        service.netmask = value;
        break;
      case "--pe":
        service.persistenceEngine = value;
        break;
      case "-o":
      case "--ops":
        service.ops = true;
        break;
      case "-b":
      case "--sched-flags":
        service.schedFlags = (value ?? "").split(",").filter((f) => f !== "");
        break;
      case "-r":
      case "--real-server":
        real = parseAddrPort(value ?? "", line);
        break;
      case "-m":
      case "--masquerading":
        forward = "masq";
        break;
      case "-g":
      case "--gatewaying":
        forward = "route";
        break;
      case "-i":
      case "--ipip":
        forward = "tunnel";
        break;
      case "-w":
      case "--weight":
        weight = toInt(value, line, "weight");
        break;
      case "-x":
      case "--u-threshold":
        upper = toInt(value, line, "upper threshold");
        break;
      case "-y":
      case "--l-threshold":
        lower = toInt(value, line, "lower threshold");
        break;
      case "--tun-type":
      case "--tun-port":
      case "--tun-nocsum":
      case "--tun-csum":
      case "--tun-remcsum":
        break;
      default:
        throw new TableParseError(`line ${line}: unexpected word ${JSON.stringify(word)}`);
    }
  }
  if (!haveService) throw new TableParseError(`line ${line}: no virtual service`);
  if (command === "-a" || command === "--add-server") {
    if (!real) throw new TableParseError(`line ${line}: -a without -r`);
    dest = {
      address: real.address,
      port: real.port,
      forward,
      weight,
      upperThreshold: upper,
      lowerThreshold: lower,
    };
  }
  return dest ? { command, service, dest } : { command, service };
}

/** The table `ipvsadm -S -n` printed. Blank lines are ignored; anything else unknown throws. */
export function parseSave(text: string): Table {
  const services: Service[] = [];
  const byKey = new Map<string, Service>();
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const words = raw
      .trim()
      .split(/\s+/)
      .filter((w) => w !== "");
    if (words[0] === "ipvsadm") words.shift();
    if (words.length === 0) return;
    const parsed = parseSaveLine(words, line);
    const key = serviceKey(parsed.service);
    if (parsed.command === "-A" || parsed.command === "--add-service") {
      if (byKey.has(key)) throw new TableParseError(`line ${line}: service ${key} listed twice`);
      const service: Service = { ...parsed.service, dests: [] };
      byKey.set(key, service);
      services.push(service);
    } else if (parsed.command === "-a" || parsed.command === "--add-server") {
      const service = byKey.get(key);
      if (!service) throw new TableParseError(`line ${line}: dest before its service ${key}`);
      service.dests.push(parsed.dest!);
    } else {
      throw new TableParseError(`line ${line}: expected -A or -a, got ${JSON.stringify(parsed.command)}`);
    }
  });
  return { services };
}

// ---------------------------------------------------------------- -L -n

const SERVICE_LINE = /^(TCP|UDP|SCTP) +(\S+) +(\S+)(.*)$/;
const FWM_LINE = /^FWM +(-?\d+)( IPv6)? +(\S+)(.*)$/;
const DEST_LINE = /^ {2}-> +(\S+) +(\S+) +(\d+) +(\d+) +(\d+) *$/;

function parseServiceSuffix(service: ServiceSpec, suffix: string, line: number): void {
  const words = suffix
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith("(") && word.endsWith(")")) {
      service.schedFlags = word
        .slice(1, -1)
        .split(",")
        .filter((f) => f !== "");
    } else if (word === "persistent") {
      service.persistence = toInt(words[++i], line, "persistence timeout");
    } else if (word === "mask") {
      service.netmask = words[++i];
    } else if (word === "pe") {
      service.persistenceEngine = words[++i];
    } else if (word === "ops") {
      service.ops = true;
    } else {
      throw new TableParseError(`line ${line}: unexpected ${JSON.stringify(word)} on a service line`);
    }
  }
}

function parseServiceLine(raw: string, line: number): ServiceSpec | undefined {
  const base = { port: 0, schedFlags: [] as string[], ops: false };
  const fwm = FWM_LINE.exec(raw);
  if (fwm) {
    const service: ServiceSpec = {
      ...base,
      protocol: "fwmark",
      family: fwm[2] ? "inet6" : "inet",
      fwmark: parseFwmark(fwm[1], line),
      scheduler: fwm[3]!,
    };
    parseServiceSuffix(service, fwm[4]!, line);
    return service;
  }
  const m = SERVICE_LINE.exec(raw);
  if (!m) return undefined;
  const ap = parseAddrPort(m[2]!, line);
  const service: ServiceSpec = {
    ...base,
    protocol: m[1]!.toLowerCase() as ServiceProtocol,
    family: familyOf(ap.address),
    address: ap.address,
    port: ap.port,
    scheduler: m[3]!,
  };
  parseServiceSuffix(service, m[4]!, line);
  return service;
}

function isHeader(raw: string): boolean {
  return (
    raw.startsWith("IP Virtual Server version") ||
    raw.startsWith("Prot LocalAddress:Port") ||
    raw.startsWith("  -> RemoteAddress:Port")
  );
}

/** The table `ipvsadm -L -n` printed, with connection counters. Thresholds read as 0. */
export function parseList(text: string): Table {
  const services: Service[] = [];
  let current: Service | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "" || isHeader(raw)) return;
    const spec = parseServiceLine(raw, line);
    if (spec) {
      current = { ...spec, dests: [] };
      services.push(current);
      return;
    }
    const d = DEST_LINE.exec(raw);
    if (!d) throw new TableParseError(`line ${line}: not an ipvsadm -L -n line: ${JSON.stringify(raw)}`);
    if (!current) throw new TableParseError(`line ${line}: dest before any service`);
    const forward = FORWARD_NAME[d[2]!];
    if (!forward) throw new TableParseError(`line ${line}: unknown forwarding method ${d[2]}`);
    const ap = parseAddrPort(d[1]!, line);
    current.dests.push({
      address: ap.address,
      port: ap.port,
      forward,
      weight: Number(d[3]),
      upperThreshold: 0,
      lowerThreshold: 0,
      activeConns: Number(d[4]),
      inactiveConns: Number(d[5]),
    });
  });
  return { services };
}

export interface Thresholds {
  upper: number;
  lower: number;
}

/** `ipvsadm -L -n --thresholds`: serviceKey → destKey → thresholds. */
export function parseThresholds(text: string): Map<string, Map<string, Thresholds>> {
  const out = new Map<string, Map<string, Thresholds>>();
  let current: Map<string, Thresholds> | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "" || isHeader(raw)) return;
    const spec = parseServiceLine(raw, line);
    if (spec) {
      current = new Map();
      out.set(serviceKey(spec), current);
      return;
    }
    const d = /^ {2}-> +(\S+) +(\d+) +(\d+) +(\d+) +(\d+) *$/.exec(raw);
    if (!d)
      throw new TableParseError(`line ${line}: not an ipvsadm --thresholds line: ${JSON.stringify(raw)}`);
    if (!current) throw new TableParseError(`line ${line}: dest before any service`);
    const ap = parseAddrPort(d[1]!, line);
    current.set(destKey(ap), { upper: Number(d[2]), lower: Number(d[3]) });
  });
  return out;
}

/** The table with thresholds taken from a parseThresholds() result. */
export function withThresholds(table: Table, thresholds: Map<string, Map<string, Thresholds>>): Table {
  return {
    services: table.services.map((s) => {
      const byDest = thresholds.get(serviceKey(s));
      return {
        ...s,
        dests: s.dests.map((d) => {
          const t = byDest?.get(destKey(d));
          return t ? { ...d, upperThreshold: t.upper, lowerThreshold: t.lower } : d;
        }),
      };
    }),
  };
}

// ---------------------------------------------------------------- -R lines

/**
 * One ipvsadm invocation's arguments for an Op, as a `-R` line. -E and -e replace every
 * setting (ipvsadm sends defaults for what is not given), so edits carry the whole spec.
 */
export function formatOp(op: Op): string {
  const svc = formatServiceArgs(op.service);
  switch (op.kind) {
    case "add-service":
      return `-A ${svc}${formatServiceSettings(op.service)}`;
    case "edit-service":
      return `-E ${svc}${formatServiceSettings(op.service)}`;
    case "delete-service":
      return `-D ${svc}`;
    case "add-dest":
    case "edit-dest": {
      const d = op.dest;
      const cmd = op.kind === "add-dest" ? "-a" : "-e";
      return `${cmd} ${svc} -r ${formatAddrPort(d.address, d.port)}${formatDestSettings(d)} -x ${d.upperThreshold} -y ${d.lowerThreshold}`;
    }
    case "delete-dest":
      return `-d ${svc} -r ${formatAddrPort(op.dest.address, op.dest.port)}`;
  }
}
