// service=dns: ask the real for the name in `request` and count it up when some answer
// matches `receive` (ldirectord's check_dns via Net::DNS). As ldirectord: an IP address
// in `request` means a PTR lookup, TCP is used when the virtual is tcp, an empty receive
// is down. Beyond ldirectord, which knows only A: AAAA is asked too, first when receive
// looks like an IPv6 address, else when the name has no A record.
import net from "node:net";
import type { RecordType } from "dns-packet";
import { type DnsServer, queryDns, rcodeName } from "./dns-client.js";
import { type StopScope, errorReason, stripLeadingSlash, untilStopped } from "./lib/stoppable.js";
import { receiveMatches } from "./lib/receive.js";
import { down, up } from "./lib/result.js";
import type { Checker } from "./types.js";

/** The in-addr.arpa / ip6.arpa name of an address, for a PTR question. */
function reverseName(address: string): string {
  if (net.isIPv4(address)) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  return `${expandIPv6(address).split("").reverse().join(".")}.ip6.arpa`;
}

/** The 32 hex digits of an IPv6 address ("::" and a trailing dotted quad expanded). */
function expandIPv6(address: string): string {
  let text = address.toLowerCase().replace(/%.*$/, "");
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, quad.index) + (((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16));
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, "0")).join("");
}

/** A receive pattern written as an IPv6 address ("2001:db8::1", "^2001:db8::1$", "fd00\\:\\:5"). */
function looksLikeIPv6(receive: string): boolean {
  return receive.includes(":") && /^\^?[0-9a-fA-F:.\\]+\$?$/.test(receive);
}

export const dnsChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const name = stripLeadingSlash(spec.request).trim();
  if (name === "") return down("dns: request= (the name to look up) is required for service=dns", startedAt);
  if (spec.receive === "") {
    return down(
      "dns: receive= (the expected answer) is required for service=dns, as in ldirectord",
      startedAt,
    );
  }
  const timeoutMs = spec.negotiateTimeoutMs;
  const server: DnsServer = { address: target.address, family: target.family, port: target.port };
  const transport = target.virtual.protocol === "tcp" ? "tcp" : "udp";

  return untilStopped(
    timeoutMs,
    signal,
    startedAt,
    async (scope: StopScope) => {
      const ask = async (qname: string, type: RecordType) => {
        const reply = await queryDns(server, transport, qname, type, scope, timeoutMs / 2);
        const values: string[] = [];
        for (const a of reply.answers ?? []) {
          // A, AAAA and PTR answers carry their address or name as a string in `data`.
          const data = (a as { data?: unknown }).data;
          if (a.type === type && typeof data === "string") values.push(data);
        }
        return { values, rcode: rcodeName(reply) };
      };

      if (net.isIP(name) !== 0) {
        const { values, rcode } = await ask(reverseName(name), "PTR");
        const hit = values.find((v) => receiveMatches(spec.receive, v));
        if (hit !== undefined) return up(`dns: PTR ${hit}`, startedAt);
        return down(
          mismatch(
            spec.receive,
            values.map((v) => `PTR ${v}`),
            `PTR ${name}`,
            rcode,
          ),
          startedAt,
        );
      }

      const order: RecordType[] = looksLikeIPv6(spec.receive) ? ["AAAA", "A"] : ["A", "AAAA"];
      const seen: string[] = [];
      let rcode = "NOERROR";
      for (const type of order) {
        const answer = await ask(name, type);
        rcode = answer.rcode;
        const hit = answer.values.find((v) => receiveMatches(spec.receive, v));
        if (hit !== undefined) return up(`dns: ${type} ${hit}`, startedAt);
        seen.push(...answer.values.map((v) => `${type} ${v}`));
        // The name does not exist at all, or it has A records and none matched: done.
        if (rcode === "NXDOMAIN" || (type === "A" && answer.values.length > 0)) break;
      }
      return down(mismatch(spec.receive, seen, `A/AAAA ${name}`, rcode), startedAt);
    },
    (err) => errorReason("dns", err),
  );
};

function mismatch(receive: string, seen: string[], question: string, rcode: string): string {
  if (seen.length === 0) return `dns: no answer for ${question} (${rcode})`;
  const shown = seen.length > 4 ? `${seen.slice(0, 4).join(", ")}, …` : seen.join(", ");
  return `dns: receive /${receive}/ not matched by ${shown}`;
}
