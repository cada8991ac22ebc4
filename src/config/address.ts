// The address forms of virtual=, virtual6=, fallback= and sorryserver=, read strictly:
// the whole value must be one of the documented forms (ldirectord's unanchored regexes
// silently ignore trailing text and turn `virtual=1:80` into 0.0.0.1).
import { isIPv4, isIPv6 } from "node:net";
import { type Diagnostics, fail, warn } from "./diagnostics.js";
import type { DirectiveLine } from "./parse.js";
import { FORWARDS } from "../vocabulary.js";
import type { Family, Forward, SourceLocation } from "./types.js";

/** A host as written: a numeric address (without brackets) or a name to resolve. */
export interface HostRef {
  text: string;
  literal: boolean;
}

export type VirtualAddress =
  | { kind: "ip"; host: HostRef; portText: string; family: Family }
  | { kind: "fwmark"; mark: number; family: Family };

const PORT_TEXT = /^[0-9A-Za-z_-]+$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export function parseVirtualAddress(d: DirectiveLine, diag: Diagnostics): VirtualAddress | undefined {
  // ldirectord's address patterns are not anchored at the end: text after the address,
  // past a blank, is ignored. Read it the same way, and say so.
  const [v = "", ignored] = d.value.split(/\s+(.*)/s, 2);
  if (ignored !== undefined && ignored !== "") {
    warn(diag, d.valueLocation, `text after the address is ignored (as ldirectord does): "${ignored}"`);
  }
  const six = d.name === "virtual6";
  const family: Family = six ? "inet6" : "inet";
  const at = d.valueLocation;
  if (v === "") {
    return fail(
      diag,
      at,
      `${d.name} needs an address: write ${six ? "virtual6=[2001:db8::1]:80" : "virtual=192.0.2.1:80"}`,
    );
  }
  if (/^\d+$/.test(v)) {
    // The kernel's mark is a u32 and ipvsadm refuses 0: 1..4294967295, all of it usable
    // (ipvsadm lists marks from 2^31 up as negative numbers; the ipvs layer reads them back).
    const mark = Number(v);
    if (mark < 1 || mark > 0xffffffff) {
      return fail(diag, at, `firewall mark must be between 1 and 4294967295, not ${v}`);
    }
    return { kind: "fwmark", mark, family };
  }
  if (v.startsWith("[")) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(v);
    if (m === null) return fail(diag, at, `invalid address: write ${d.name}=[2001:db8::1]:80`);
    if (!six) {
      return fail(
        diag,
        d.location,
        `cannot use an IPv6 address with virtual=: write virtual6=${v} (and real6=/fallback6= inside the block)`,
      );
    }
    if (!isIPv6(m[1]!)) return fail(diag, at, `invalid IPv6 address "${m[1]}" for virtual6`);
    const portText = checkPortText(m[2]!, d, diag);
    if (portText === undefined) return undefined;
    return { kind: "ip", host: { text: m[1]!, literal: true }, portText, family };
  }
  const colon = v.lastIndexOf(":");
  if (colon < 0) {
    return fail(
      diag,
      at,
      `invalid virtual address "${v}": write address:port (e.g. 192.0.2.1:80 or www.example.com:http) or a firewall mark number`,
    );
  }
  const hostText = v.slice(0, colon);
  if (hostText.includes(":")) {
    return fail(
      diag,
      at,
      six
        ? `IPv6 addresses must be in brackets: write virtual6=[${hostText}]:${v.slice(colon + 1)}`
        : `invalid virtual address "${v}": IPv6 needs virtual6=[address]:port`,
    );
  }
  const host = checkHost(hostText, family, at, d.name, diag);
  if (host === undefined) return undefined;
  const portText = checkPortText(v.slice(colon + 1), d, diag);
  if (portText === undefined) return undefined;
  return { kind: "ip", host, portText, family };
}

function checkPortText(text: string, d: DirectiveLine, diag: Diagnostics): string | undefined {
  if (PORT_TEXT.test(text)) return text;
  return fail(
    diag,
    d.valueLocation,
    `invalid port "${text}" in ${d.name}: write a port number or a service name from /etc/services`,
  );
}

/** Validates a host as written (not in brackets) for the family. */
export function checkHost(
  text: string,
  family: Family,
  at: SourceLocation,
  what: string,
  diag: Diagnostics,
): HostRef | undefined {
  if (/^[\d.]+$/.test(text)) {
    if (!isIPv4(text)) {
      return fail(
        diag,
        at,
        /^\d+$/.test(text)
          ? `"${text}" is not an address (ldirectord would read it as ${ldirectordIntAddress(text)}): write a dotted IPv4 address or a host name${what.startsWith("virtual") ? ", or a firewall mark alone (virtual=N)" : ""}`
          : `invalid IPv4 address "${text}" in ${what}`,
      );
    }
    if (family === "inet6") {
      return fail(
        diag,
        at,
        `${what} is in an IPv6 block: use an IPv6 address in brackets, e.g. [2001:db8::1]`,
      );
    }
    return { text, literal: true };
  }
  if (!HOST_NAME.test(text)) return fail(diag, at, `invalid host name "${text}" in ${what}`);
  return { text, literal: false };
}

function ldirectordIntAddress(text: string): string {
  const n = Number(text) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** `host[:port]`, IPv6 in brackets; used by fallback= and sorryserver=. */
export function parseHostPort(
  text: string,
  family: Family,
  at: SourceLocation,
  what: string,
  diag: Diagnostics,
): { host: HostRef; portText?: string } | undefined {
  if (text.startsWith("[")) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (m === null || !isIPv6(m[1]!)) {
      return fail(diag, at, `invalid IPv6 address in ${what}: write [2001:db8::1]:80`);
    }
    if (family === "inet")
      return fail(diag, at, `${what} takes an IPv4 address or name; use ${what}6 for IPv6`);
    if (m[2] !== undefined && !PORT_TEXT.test(m[2]))
      return fail(diag, at, `invalid port "${m[2]}" in ${what}`);
    return { host: { text: m[1]!, literal: true }, ...(m[2] === undefined ? {} : { portText: m[2] }) };
  }
  const parts = text.split(":");
  if (parts.length > 2) {
    return fail(
      diag,
      at,
      /^[\d.]+::\w+$/.test(text)
        ? `two colons in "${text}": write ${text.replace("::", ":")}`
        : `IPv6 addresses must be in brackets: write [${text}]`,
    );
  }
  const host = checkHost(parts[0]!, family, at, what, diag);
  if (host === undefined) return undefined;
  if (parts.length === 1) return { host };
  if (!PORT_TEXT.test(parts[1]!)) return fail(diag, at, `invalid port "${parts[1]}" in ${what}`);
  return { host, portText: parts[1]! };
}

export interface FallbackLine {
  host: HostRef;
  portText?: string;
  forward: Forward;
  family: Family;
  location: SourceLocation;
}

/** `fallback=host[:port] [gate|masq|ipip]` (forwarding defaults to gate). */
export function parseFallback(d: DirectiveLine, diag: Diagnostics): FallbackLine | undefined {
  const family: Family = d.name === "fallback6" ? "inet6" : "inet";
  const tokens = d.value.split(/\s+/).filter((t) => t !== "");
  if (tokens.length === 0 || tokens.length > 2) {
    return fail(
      diag,
      d.valueLocation,
      `${d.name} must be host[:port] [gate|masq|ipip], e.g. ${d.name}=${family === "inet" ? "127.0.0.1:80" : "[::1]:80"} gate`,
    );
  }
  const forward = (tokens[1] ?? "gate") as Forward;
  if (!FORWARDS.includes(forward)) {
    return fail(
      diag,
      d.valueLocation,
      `forwarding method of ${d.name} must be gate, masq or ipip, not "${tokens[1]}"`,
    );
  }
  const hp = parseHostPort(tokens[0]!, family, d.valueLocation, d.name, diag);
  if (hp === undefined) return undefined;
  return { ...hp, forward, family, location: d.location };
}
