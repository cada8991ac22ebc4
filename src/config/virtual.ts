// One virtual block → a VirtualService: the block's directives, the globals it
// inherits, ldirectord's defaults, names resolved with the final protocol, ranges
// expanded, and each real's check resolved (per-real request/receive, the check port
// and the timeout precedence of docs/ldirectord-compat.md).

import { type FallbackLine, parseVirtualAddress, type VirtualAddress } from "./address.js";
import { type Admitted, lastByName } from "./admit.js";
import { type CommonSettings, defaultAlertStatus, readCommon } from "./common.js";
import { type Diagnostics, fail, warn } from "./diagnostics.js";
import { isOneOf, PROTOCOLS, SCHEDULERS, type Scheduler, SERVICES } from "../vocabulary.js";
import {
  defaultNumber,
  defaultText,
  defaultWord,
  defaultYesNo,
  PORT_BY_SERVICE,
  SERVICE_BY_PORT,
} from "./directives.js";
import type { DirectiveLine } from "./parse.js";
import { parseRealLine, type RealLine } from "./real.js";
import { type NameResolver, resolveHost, type ServicesDb, servicePort } from "./resolve.js";
import type {
  CheckSpec,
  CheckType,
  FallbackServer,
  Family,
  HttpMethod,
  Protocol,
  RealServer,
  Service,
  VirtualService,
} from "./types.js";
import { readCommand, readNumber, readQuoted, readText, readYesNo } from "./values.js";

export interface BlockContext {
  diag: Diagnostics;
  resolver: NameResolver;
  services: ServicesDb;
  hostname: string;
  global: CommonSettings;
  fork: boolean;
}

export const MAX_RANGE = 65536;
const INT_MAX = 2147483647;
/** checktype= words besides a number N and external-perl. */
const CHECK_TYPES = [
  "connect",
  "negotiate",
  "ping",
  "off",
  "on",
  "external",
] as const satisfies readonly CheckType[];
const HTTP_METHODS = ["GET", "HEAD"] as const satisfies readonly HttpMethod[];

/** What the block says about checks, before per-real resolution. */
interface BlockCheck {
  type: CheckType;
  connectCount: number;
  service?: Service;
  request: string;
  receive: string;
  httpMethod: HttpMethod;
  virtualHost?: string;
  checkPort?: number;
  login: string;
  passwd: string;
  database: string;
  secret: string;
  command: string;
  /** checktype=external-perl. */
  perl?: true;
}

interface BlockSettings {
  check: BlockCheck;
  scheduler: Scheduler;
  persistent?: number;
  netmask?: DirectiveLine;
  schedFlags?: string;
  protocol?: DirectiveLine;
  ops: boolean;
  opsLine?: DirectiveLine;
  monitorFile?: string;
  serviceName?: string;
  comment?: string;
}

export async function readVirtual(
  header: DirectiveLine,
  body: Admitted[],
  ctx: BlockContext,
): Promise<VirtualService | undefined> {
  const { diag } = ctx;
  const address = parseVirtualAddress(header, diag);
  const family: Family = header.name === "virtual6" ? "inet6" : "inet";
  const lines = lastByName(body, diag);
  for (const name of ["fallback", "fallback6"]) {
    const a = lines.get(name);
    if (a !== undefined && (name === "fallback6") !== (family === "inet6")) {
      fail(
        diag,
        a.line.location,
        `use ${family === "inet" ? "fallback" : "fallback6"}= inside a ${header.name} block`,
      );
      lines.delete(name);
    }
  }
  const common = readCommon(lines, diag);
  const settings = readBlockSettings(lines, family, diag);
  const realLines: RealLine[] = [];
  for (const { line } of body) {
    if (line.name !== "real" && line.name !== "real6") continue;
    if ((line.name === "real6") !== (family === "inet6")) {
      fail(diag, line.location, `use ${family === "inet" ? "real" : "real6"}= inside a ${header.name} block`);
      continue;
    }
    const r = parseRealLine(line, diag);
    if (r !== undefined) realLines.push(r);
  }
  if (address === undefined) return undefined;

  const protocol = readProtocol(address, settings.protocol, diag);
  if (protocol === undefined) return undefined;
  const where = await resolveVirtualAddress(header, address, protocol, ctx);
  if (where === undefined) return undefined;
  const { addressText, port } = where;
  if (address.kind === "ip" && port === 0 && settings.persistent === undefined) {
    fail(
      diag,
      header.valueLocation,
      "port 0 (all ports) needs persistent=N in the block; otherwise give a port",
    );
  }

  const pick = <K extends keyof CommonSettings>(k: K): CommonSettings[K] => common[k] ?? ctx.global[k];
  const block = settings.check;
  const service =
    block.service ?? (address.kind === "fwmark" ? "none" : (SERVICE_BY_PORT.get(port) ?? "none"));
  if (
    !lines.has("service") &&
    service === "oracle" &&
    (block.type === "negotiate" || block.type === "combined")
  ) {
    fail(
      diag,
      header.location,
      "a virtual on port 1521 defaults to service=oracle, which ldirector does not support (no Oracle client library): set checktype=connect or another service=",
    );
  }
  if (service === "ftp") {
    block.login ||= "anonymous";
    block.passwd ||= `ldirectord@${ctx.hostname}`;
  } else if (service === "sip") {
    block.login ||= `ldirectord@${ctx.hostname}`;
  }
  if ((block.type === "negotiate" || block.type === "combined") && service === "none") {
    warn(
      diag,
      header.location,
      "always up: ldirectord's negotiate check with service none never fails; set service=http or checktype=connect",
    );
  }
  if (block.httpMethod === "HEAD" && block.receive !== "" && (service === "http" || service === "https")) {
    warn(diag, header.location, "httpmethod=HEAD gets no body, so a non-empty receive never matches");
  }
  const tlsCaFile = pick("tlsCaFile");
  const check: CheckSpec = {
    type: block.type,
    connectCount: block.connectCount,
    service,
    request: block.request,
    receive: block.receive,
    httpMethod: block.httpMethod,
    ...(block.virtualHost === undefined ? {} : { virtualHost: block.virtualHost }),
    port: block.checkPort ?? PORT_BY_SERVICE.get(service) ?? 0,
    login: block.login,
    passwd: block.passwd,
    database: block.database,
    secret: block.secret,
    command: block.command,
    ...(block.perl ? { perl: true as const } : {}),
    checkTimeoutMs:
      1000 *
      (common.checkTimeout ??
        common.negotiateTimeout ??
        ctx.global.checkTimeout ??
        ctx.global.negotiateTimeout ??
        defaultNumber("checktimeout")),
    negotiateTimeoutMs:
      1000 *
      (common.negotiateTimeout ??
        common.checkTimeout ??
        ctx.global.negotiateTimeout ??
        ctx.global.checkTimeout ??
        defaultNumber("negotiatetimeout")),
    checkCount: pick("checkCount") ?? defaultNumber("checkcount"),
    tlsVerify: pick("tlsVerify") ?? defaultYesNo("tlsverify"),
    ...(tlsCaFile === undefined ? {} : { tlsCaFile }),
  };

  const reals: RealServer[] = [];
  for (const line of realLines) {
    for (const r of await resolveReal(line, ctx)) {
      reals.push(realServer(r, line, check, block.checkPort, diag));
    }
  }

  const fallbackLine = family === "inet" ? pick("fallback") : pick("fallback6");
  const fallback = fallbackLine && (await resolveFallback(fallbackLine, protocol, port, ctx));
  const id =
    address.kind === "fwmark"
      ? `fwm${family === "inet6" ? "6" : ""}:${address.mark}`
      : `${protocol}:${family === "inet6" ? `[${addressText}]` : addressText}:${port}`;

  if (common.checkIntervalLine !== undefined && !ctx.fork) {
    warn(
      diag,
      common.checkIntervalLine.location,
      "ldirectord ignores a per-virtual checkinterval unless fork=yes; ldirector honours it",
      true,
    );
  }
  if (settings.ops && protocol !== "udp") {
    warn(diag, settings.opsLine!.location, "ops=yes only has an effect on udp virtual services");
  }
  if (settings.netmask !== undefined && settings.persistent === undefined) {
    warn(diag, settings.netmask.location, "netmask has no effect without persistent=");
  }
  const fallbackCommand = pick("fallbackCommand");
  const smtp = pick("smtp");
  return {
    id,
    family,
    protocol,
    ...(addressText === undefined ? {} : { address: addressText }),
    port,
    ...(address.kind === "fwmark" ? { fwmark: address.mark } : {}),
    scheduler: settings.scheduler,
    ...(settings.persistent === undefined ? {} : { persistent: settings.persistent }),
    ...(settings.netmask === undefined ? {} : { netmask: settings.netmask.value }),
    ...(settings.schedFlags === undefined ? {} : { schedFlags: settings.schedFlags }),
    ops: settings.ops && protocol === "udp",
    reals,
    ...(fallback ? { fallback } : {}),
    ...(fallbackCommand === undefined ? {} : { fallbackCommand }),
    check,
    checkInterval: pick("checkInterval") ?? defaultNumber("checkinterval"),
    failureCount: pick("failureCount") ?? defaultNumber("failurecount"),
    quiescent: pick("quiescent") ?? defaultYesNo("quiescent"),
    cleanStop: pick("cleanStop") ?? defaultYesNo("cleanstop"),
    emailAlert: pick("emailAlert") ?? defaultText("emailalert"),
    emailAlertFreq: pick("emailAlertFreq") ?? defaultNumber("emailalertfreq"),
    emailAlertStatus: pick("emailAlertStatus") ?? defaultAlertStatus(),
    ...(smtp === undefined ? {} : { smtp }),
    ...(settings.monitorFile === undefined ? {} : { monitorFile: settings.monitorFile }),
    ...(settings.serviceName === undefined ? {} : { serviceName: settings.serviceName }),
    ...(settings.comment === undefined ? {} : { comment: settings.comment }),
    location: header.location,
  };
}

function readBlockSettings(lines: Map<string, Admitted>, family: Family, diag: Diagnostics): BlockSettings {
  const check: BlockCheck = {
    type: defaultWord("checktype", CHECK_TYPES),
    connectCount: 0,
    request: defaultText("request"),
    receive: defaultText("receive"),
    httpMethod: defaultWord("httpmethod", HTTP_METHODS),
    login: defaultText("login"),
    passwd: defaultText("passwd"),
    database: defaultText("database"),
    secret: defaultText("secret"),
    command: defaultText("checkcommand"),
  };
  const s: BlockSettings = {
    check,
    scheduler: defaultWord("scheduler", SCHEDULERS),
    ops: defaultYesNo("ops"),
  };
  for (const [name, { line: d, spec }] of lines) {
    switch (name) {
      case "request": {
        const v = readQuoted(d, spec, diag);
        if (v !== undefined) check.request = v.startsWith("/") ? v : `/${v}`;
        break;
      }
      case "receive": {
        const v = readQuoted(d, spec, diag);
        if (v !== undefined && validRegExp(v, d, diag)) check.receive = v;
        break;
      }
      case "checktype":
        readCheckType(d, check, diag);
        break;
      case "checkcommand":
        check.command = readCommand(d, diag) ?? check.command;
        break;
      case "checkport":
        check.checkPort = readNumber(d, diag, 1, 65535);
        break;
      case "login":
      case "passwd":
      case "database":
      case "secret": {
        const v = readQuoted(d, spec, diag);
        if (v !== undefined) check[name] = v;
        break;
      }
      case "load":
        readQuoted(d, spec, diag);
        warn(diag, d.location, "load= is accepted but unused (ldirectord never used it either)");
        break;
      case "scheduler":
        s.scheduler = readScheduler(d, diag) ?? s.scheduler;
        break;
      case "persistent":
        s.persistent = readNumber(d, diag, 0, INT_MAX);
        break;
      case "netmask":
        if (validNetmask(d, family, diag)) s.netmask = d;
        break;
      case "schedflags":
        if (/^[a-z0-9-]+(,[a-z0-9-]+)*$/.test(d.value)) s.schedFlags = d.value;
        else
          fail(
            diag,
            d.valueLocation,
            "schedflags must be a comma list of flags, e.g. schedflags=sh-fallback,sh-port",
          );
        break;
      case "protocol":
        s.protocol = d;
        break;
      case "ops":
        s.ops = readYesNo(d, diag) ?? s.ops;
        s.opsLine = d;
        break;
      case "service":
        check.service = readService(d, diag);
        break;
      case "httpmethod": {
        const m = d.value.toUpperCase();
        if (isOneOf(HTTP_METHODS, m)) check.httpMethod = m;
        else fail(diag, d.valueLocation, "httpmethod must be GET or HEAD");
        break;
      }
      case "virtualhost":
        check.virtualHost = readText(d, diag);
        break;
      case "monitorfile":
        s.monitorFile = readText(d, diag);
        break;
      case "servicename":
        s.serviceName = d.value;
        break;
      case "comment":
        s.comment = d.value;
        break;
    }
  }
  return s;
}

export function validRegExp(pattern: string, d: DirectiveLine, diag: Diagnostics): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch (e) {
    const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
    fail(
      diag,
      d.valueLocation,
      `receive is not a valid regular expression (${why}); escape special characters with \\`,
    );
    return false;
  }
}

function readCheckType(d: DirectiveLine, check: BlockCheck, diag: Diagnostics): void {
  const v = d.value;
  if (/^\d+$/.test(v)) {
    check.type = "combined";
    check.connectCount = Number(v);
    return;
  }
  if (isOneOf(CHECK_TYPES, v)) {
    check.type = v;
    delete check.perl;
    return;
  }
  if (v === "external-perl") {
    // An external check whose command is a Perl script (checks/external.ts runs perl).
    check.type = "external";
    check.perl = true;
    return;
  }
  const digits = /\d+/.exec(v);
  fail(
    diag,
    d.valueLocation,
    `checktype must be connect, negotiate, ping, on, off, external, or a number N (a negotiate check, then N connect checks)${digits === null ? "" : ` (ldirectord would read it as checktype=${digits[0]})`}`,
  );
}

function readScheduler(d: DirectiveLine, diag: Diagnostics): Scheduler | undefined {
  const known = SCHEDULERS;
  // ldirectord takes the first run of lower-case letters, so `scheduler=lc //comment`
  // means lc there.
  const trailing = /^([a-z]+)\s+(.*)$/s.exec(d.value);
  if (trailing !== null && isOneOf(known, trailing[1]!)) {
    warn(diag, d.valueLocation, `text after the scheduler is ignored (as ldirectord does): "${trailing[2]}"`);
    return trailing[1] as Scheduler;
  }
  const v = d.value;
  if (isOneOf(known, v)) return v;
  const lower = v.toLowerCase();
  if (isOneOf(known, lower)) {
    const ld = /[a-z]+/.exec(v);
    warn(
      diag,
      d.valueLocation,
      `scheduler names are lower case: read as ${lower}; write scheduler=${lower} (${ld === null ? "ldirectord rejects it" : `ldirectord reads "${v}" as ${ld[0]}`})`,
      true,
    );
    return lower;
  }
  return fail(diag, d.valueLocation, `unknown scheduler "${v}": use one of ${known.join(", ")}`);
}

function readService(d: DirectiveLine, diag: Diagnostics): Service | undefined {
  if (d.value === "oracle") {
    return fail(
      diag,
      d.valueLocation,
      "service=oracle is not supported by ldirector (no Oracle client library)",
    );
  }
  if (isOneOf(SERVICES, d.value)) return d.value;
  return fail(
    diag,
    d.valueLocation,
    `unknown service "${d.value}": use one of ${SERVICES.filter((s) => s !== "oracle").join(", ")}`,
  );
}

function validNetmask(d: DirectiveLine, family: Family, diag: Diagnostics): boolean {
  if (family === "inet6") {
    if (/^\d+$/.test(d.value) && Number(d.value) >= 1 && Number(d.value) <= 128) return true;
    fail(
      diag,
      d.valueLocation,
      "netmask of an IPv6 virtual is a prefix length between 1 and 128, e.g. netmask=64",
    );
    return false;
  }
  const parts = d.value.split(".");
  if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return true;
  fail(diag, d.valueLocation, "netmask must be a dotted IPv4 mask, e.g. netmask=255.255.255.0");
  return false;
}

function readProtocol(
  address: VirtualAddress,
  line: DirectiveLine | undefined,
  diag: Diagnostics,
): Protocol | undefined {
  if (address.kind === "fwmark") {
    if (line !== undefined && line.value !== "fwm") {
      return fail(
        diag,
        line.valueLocation,
        "a firewall-mark virtual takes protocol=fwm (or no protocol= at all)",
      );
    }
    return "fwm";
  }
  // The default is tcp, except for DNS (port 53), which is udp, as ldirectord has it.
  if (line === undefined) {
    return address.portText === "53" || address.portText === "domain"
      ? "udp"
      : defaultWord("protocol", PROTOCOLS);
  }
  if (line.value === "tcp" || line.value === "udp") return line.value;
  return fail(
    diag,
    line.valueLocation,
    "protocol must be tcp or udp for an address:port virtual (fwm is for firewall marks)",
  );
}

async function resolveVirtualAddress(
  header: DirectiveLine,
  address: VirtualAddress,
  protocol: Protocol,
  ctx: BlockContext,
): Promise<{ addressText?: string; port: number } | undefined> {
  if (address.kind === "fwmark") return { port: 0 };
  const addressText = await resolveHost(ctx.resolver, address.host.text, address.family);
  if (addressText === undefined) {
    return fail(ctx.diag, header.valueLocation, cannotResolve(address.host.text, address.family));
  }
  const port = servicePort(ctx.services, address.portText, protocol);
  if (port === undefined) {
    return fail(ctx.diag, header.valueLocation, unknownPort(address.portText, protocol));
  }
  return { addressText, port };
}

function cannotResolve(host: string, family: Family): string {
  return `cannot resolve "${host}" to an ${family === "inet" ? "IPv4" : "IPv6"} address: use a numeric address or add the name to /etc/hosts`;
}

function unknownPort(text: string, protocol: string): string {
  return /^\d+$/.test(text)
    ? `port ${text} is out of range: use 0..65535`
    : `unknown service name "${text}"${protocol === "" ? "" : ` for ${protocol}`} in /etc/services: write the port number`;
}

interface ResolvedReal {
  address: string;
  port: number;
}

async function resolveReal(line: RealLine, ctx: BlockContext): Promise<ResolvedReal[]> {
  const { diag } = ctx;
  const at = line.location;
  const first = await resolveHost(ctx.resolver, line.first.text, line.family);
  if (first === undefined) return fail(diag, at, cannotResolve(line.first.text, line.family)) ?? [];
  let port = 0;
  if (line.portText !== undefined) {
    const p = servicePort(ctx.services, line.portText, "");
    if (p === undefined) return fail(diag, at, unknownPort(line.portText, "")) ?? [];
    port = p;
  }
  if (line.last === undefined) return [{ address: first, port }];
  const last = await resolveHost(ctx.resolver, line.last.text, line.family);
  if (last === undefined) return fail(diag, at, cannotResolve(line.last.text, line.family)) ?? [];
  const from = ipv4ToInt(first);
  const to = ipv4ToInt(last);
  if (from > to) return fail(diag, at, `the range runs backwards: write ${last}->${first}`) ?? [];
  if (to - from + 1 > MAX_RANGE) {
    return (
      fail(diag, at, `the range has ${to - from + 1} addresses; at most ${MAX_RANGE} reals per range line`) ??
      []
    );
  }
  if (String(from).length !== String(to).length) {
    warn(
      diag,
      at,
      "ldirectord expands this range to nothing or to a truncated list (it compares the ends as text when their 32-bit numbers have different digit counts); ldirector expands it fully",
      true,
    );
  }
  const out: ResolvedReal[] = [];
  for (let i = from; i <= to; i++) out.push({ address: intToIpv4(i), port });
  return out;
}

function ipv4ToInt(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIpv4(n: number): string {
  return [
    Math.floor(n / 16777216) % 256,
    Math.floor(n / 65536) % 256,
    Math.floor(n / 256) % 256,
    n % 256,
  ].join(".");
}

function realServer(
  r: ResolvedReal,
  line: RealLine,
  virtualCheck: CheckSpec,
  checkPort: number | undefined,
  diag: Diagnostics,
): RealServer {
  const perReal = line.request !== undefined && line.receive !== undefined;
  if (perReal && line.receive !== "") {
    validRegExp(line.receive!, { name: "receive", valueLocation: line.location } as DirectiveLine, diag);
  }
  const check: CheckSpec = {
    ...virtualCheck,
    ...(perReal ? { request: line.request!, receive: line.receive! } : {}),
    port: checkPort ?? (r.port > 0 ? r.port : (PORT_BY_SERVICE.get(virtualCheck.service) ?? 0)),
  };
  return {
    address: r.address,
    family: line.family,
    port: r.port,
    forward: line.forward,
    weight: line.weight,
    upperThreshold: line.upperThreshold,
    lowerThreshold: line.lowerThreshold,
    ...(perReal ? { request: line.request!, receive: line.receive! } : {}),
    check,
    location: line.location,
  };
}

async function resolveFallback(
  line: FallbackLine,
  protocol: Protocol,
  virtualPort: number,
  ctx: BlockContext,
): Promise<FallbackServer | undefined> {
  const address = await resolveHost(ctx.resolver, line.host.text, line.family);
  if (address === undefined) return fail(ctx.diag, line.location, cannotResolve(line.host.text, line.family));
  let port = virtualPort;
  if (line.portText !== undefined) {
    const p = servicePort(ctx.services, line.portText, protocol === "fwm" ? "" : protocol);
    if (p === undefined) return fail(ctx.diag, line.location, unknownPort(line.portText, protocol));
    port = p;
  }
  return { address, family: line.family, port, forward: line.forward, location: line.location };
}
