// real= / real6= lines:
//   host[->host][:port] gate|masq|ipip [weight] ["request", "receive"] [l:N] [u:N]
// read as the author meant. ldirectord's misreadings (weight from inside a quoted
// request, a receive lost after a request starting with "/", u: dropped before l:,
// `a.b.c.[x-y]` and `::port`) are rejected or warned about, never copied.
import { isIPv6 } from "node:net";
import { FORWARDS } from "../vocabulary.js";
import { checkHost, type HostRef } from "./address.js";
import { type Diagnostics, fail, warn } from "./diagnostics.js";
import type { DirectiveLine } from "./parse.js";
import type { Family, Forward, SourceLocation } from "./types.js";

export interface RealLine {
  first: HostRef;
  /** The end of an `a->b` range. */
  last?: HostRef;
  portText?: string;
  forward: Forward;
  weight: number;
  /** Per-real check, already in ldirectord's form (leading "/" added unless it is a URL). */
  request?: string;
  receive?: string;
  lowerThreshold: number;
  upperThreshold: number;
  family: Family;
  location: SourceLocation;
}

const MAX_WEIGHT = 65535;

export function parseRealLine(d: DirectiveLine, diag: Diagnostics): RealLine | undefined {
  const family: Family = d.name === "real6" ? "inet6" : "inet";
  const at = d.valueLocation;
  const m = /^(\S+)\s*(.*)$/.exec(d.value);
  if (m === null) {
    return fail(diag, at, `${d.name} needs an address and a forwarding method, e.g. ${example(family)}`);
  }
  const addr = parseRealAddress(m[1]!, family, d, diag);
  const flags = parseFlags(m[2]!, d, diag);
  if (addr === undefined || flags === undefined) return undefined;
  return { ...addr, ...flags, family, location: d.location };
}

function example(family: Family): string {
  return family === "inet" ? "real=192.0.2.10:80 gate" : "real6=[2001:db8::10]:80 gate";
}

function parseRealAddress(
  token: string,
  family: Family,
  d: DirectiveLine,
  diag: Diagnostics,
): { first: HostRef; last?: HostRef; portText?: string } | undefined {
  const at = d.valueLocation;
  const bracketRange = /^(\d+\.\d+\.\d+\.)\[(\d+)-(\d+)\](.*)$/.exec(token);
  if (bracketRange !== null) {
    const [, prefix, from, to, tail] = bracketRange;
    return fail(
      diag,
      at,
      `address ranges are written with "->": write ${d.name}=${prefix}${from}->${prefix}${to}${tail} (ldirectord would read "${token}" as a single wrong address)`,
    );
  }
  const arrow = token.indexOf("->");
  if (arrow >= 0) {
    const left = token.slice(0, arrow);
    const right = parseEndpoint(token.slice(arrow + 2), family, d, diag);
    if (family === "inet6" || left.startsWith("[")) {
      return fail(
        diag,
        at,
        "address ranges are supported for IPv4 only: list each IPv6 real on its own real6= line",
      );
    }
    const first = checkHost(left, family, at, d.name, diag);
    if (first === undefined || right === undefined) return undefined;
    return { first, last: right.host, ...(right.portText === undefined ? {} : { portText: right.portText }) };
  }
  const single = parseEndpoint(token, family, d, diag);
  if (single === undefined) return undefined;
  return { first: single.host, ...(single.portText === undefined ? {} : { portText: single.portText }) };
}

function parseEndpoint(
  text: string,
  family: Family,
  d: DirectiveLine,
  diag: Diagnostics,
): { host: HostRef; portText?: string } | undefined {
  const at = d.valueLocation;
  let hostText: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (m === null || !isIPv6(m[1]!))
      return fail(diag, at, `invalid IPv6 address in ${d.name}: write [2001:db8::10]:80`);
    if (family === "inet") {
      return fail(diag, at, "cannot use real= for an IPv6 address: use real6= inside a virtual6 block");
    }
    hostText = m[1]!;
    portText = m[2];
  } else {
    const parts = text.split(":");
    if (parts.length > 2) {
      return fail(
        diag,
        at,
        /^[\w.-]+::\w+$/.test(text)
          ? `two colons in "${text}": write ${text.replace("::", ":")} (ldirectord would read the port as a host address)`
          : `IPv6 addresses must be in brackets: write ${d.name}=[${text}]:port`,
      );
    }
    hostText = parts[0]!;
    portText = parts[1];
  }
  if (portText !== undefined && !/^(\d+|[A-Za-z0-9_-]+)$/.test(portText)) {
    return fail(diag, at, `invalid port "${portText}" in ${d.name}: write a number or a service name`);
  }
  const host = text.startsWith("[")
    ? { text: hostText, literal: true }
    : checkHost(hostText, family, at, d.name, diag);
  if (host === undefined) return undefined;
  return portText === undefined ? { host } : { host, portText };
}

type Flags = Pick<
  RealLine,
  "forward" | "weight" | "request" | "receive" | "lowerThreshold" | "upperThreshold"
>;

function parseFlags(text: string, d: DirectiveLine, diag: Diagnostics): Flags | undefined {
  const at = d.valueLocation;
  const method = /^(\S*)\s*(.*)$/.exec(text)!;
  const forward = method[1]! as Forward;
  if (!FORWARDS.includes(forward)) {
    return fail(
      diag,
      at,
      (forward as string) === ""
        ? `missing forwarding method: write ${d.name}=${d.value} gate (or masq, ipip)`
        : `forwarding method must be gate, masq or ipip, not "${forward}"`,
    );
  }
  let rest = method[2]!;
  let weight = 1;
  // ipvsadm's own spelling, `gate -w 3`, found in published files: ldirectord takes the
  // first number after the method as the weight, so it means weight 3 there too.
  const flag = /^(-w|--weight)\s+(\d+)(?:\s+|$)(.*)$/.exec(rest);
  if (flag !== null) {
    warn(
      diag,
      at,
      `"${flag[1]} ${flag[2]}" read as weight ${flag[2]} (as ldirectord does); write ${forward} ${flag[2]}`,
    );
    rest = `${flag[2]}${flag[3] === "" ? "" : ` ${flag[3]}`}`;
  }
  const w = /^(\d+)(?:\s+|$)(.*)$/.exec(rest);
  if (w !== null) {
    weight = Number(w[1]);
    if (weight > MAX_WEIGHT) return fail(diag, at, `weight must be between 0 and ${MAX_WEIGHT}, not ${w[1]}`);
    rest = w[2]!;
  } else {
    const inside = /\s(\d+)/.exec(` ${rest}`);
    if (inside !== null && rest.startsWith('"')) {
      warn(
        diag,
        at,
        `ldirectord would take the weight ${inside[1]} from inside the quoted check; ldirector uses weight 1 (write the weight right after ${forward} to be explicit)`,
        true,
      );
    }
  }
  const flags: Flags = { forward, weight, lowerThreshold: 0, upperThreshold: 0 };
  if (rest.startsWith('"')) {
    const rr = /^"(.*)"(?:,|\s)\s*"(.*)"(.*)$/.exec(rest);
    if (rr === null) {
      return fail(
        diag,
        at,
        `a per-real check is written as two quoted strings: ${d.name}=... ${forward} "request", "receive"`,
      );
    }
    const [, request, receive, after] = rr;
    if (/^https?:\/\//.test(request!)) {
      flags.request = request!;
    } else {
      flags.request = request!.startsWith("/") ? request! : `/${request}`;
      if (request!.startsWith("/")) {
        warn(
          diag,
          at,
          'ldirectord drops this real\'s receive string and thresholds because the request starts with "/" (it then uses the virtual\'s request and receive); write the request without the leading "/" for ldirectord',
          true,
        );
      }
    }
    flags.receive = receive!;
    rest = after!;
  }
  const seen: string[] = [];
  for (const token of rest.split(/\s+/).filter((t) => t !== "")) {
    const t = /^([lu]):(\d+)$/.exec(token);
    if (t === null) {
      const hint = /^"?[lu]:\d+"?$/.test(token)
        ? ` (thresholds are written unquoted: ${token.replaceAll('"', "")})`
        : "";
      return fail(
        diag,
        at,
        `unexpected "${token}" in ${d.name}: after the address come gate|masq|ipip, an optional weight, an optional "request", "receive", then l:N and u:N${hint}`,
      );
    }
    const [, which, n] = t;
    if (seen.includes(which!)) return fail(diag, at, `${which}: is given twice in ${d.name}`);
    seen.push(which!);
    if (which === "l") flags.lowerThreshold = Number(n);
    else flags.upperThreshold = Number(n);
  }
  if (seen[0] === "u" && seen[1] === "l") {
    warn(diag, at, "ldirectord silently drops u:N when it comes before l:N; write l:N before u:N", true);
  }
  return flags;
}
