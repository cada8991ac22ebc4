// The IPVS table as one nftables table (`table inet ldirector`), rendered as text for
// `nft -f -`. NAT (masq) only: nftables has no direct routing or tunnelling.
//
// Per service i:
//   set s<i>  every dest, weight 0 included, each element's comment holding weight and
//             thresholds; the set's comment holds the service's settings. This is what
//             read-back parses, so quiescent dests and settings nftables cannot enforce
//             (persistence timeout, thresholds) survive a round trip.
//   map m<i>  slot → dest, one slot per unit of weight (wrr 2:1 → three slots).
//   rule      `<match> dnat to numgen inc|jhash … mod N map @m<i>` in chain `services`.
// The whole table is replaced in the same transaction that deletes it, so a packet sees
// either the old rules or the new ones, and a map never has holes.
import type { Dest, Service, Table } from "./model.js";

export const nftTable = "ldirector";

/** Schedulers nftables can express: numgen inc for rr/wrr, jhash of the source for sh. */
export const nftSchedulers = new Set(["rr", "wrr", "sh"]);

/** Slots above this are scaled down proportionally; each dest keeps at least one. */
const maxSlots = 1024;

/** Why a service cannot be rendered faithfully, or undefined. */
export function nftUnsupported(s: Service): string | undefined {
  if (!nftSchedulers.has(s.scheduler)) {
    return `scheduler ${s.scheduler} cannot be expressed in nftables (use rr, wrr or sh)`;
  }
  const bad = s.dests.find((d) => d.forward !== "masq");
  if (bad)
    return `forwarding ${bad.forward} for ${bad.address}:${bad.port} needs IPVS; nftables does NAT (masq) only`;
  if (s.protocol === "fwmark" && s.dests.some((d) => d.port !== 0) && s.dests.some((d) => d.port === 0)) {
    return "a firewall-mark service needs all of its dests with a port or all without";
  }
  return undefined;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Weighted slots: dests with weight > 0, each repeated weight/gcd times (rr: once). */
export function slots(s: Service): Dest[] {
  const live = s.dests.filter((d) => d.weight > 0);
  if (live.length === 0) return [];
  if (s.scheduler === "rr") return live;
  const g = live.map((d) => d.weight).reduce(gcd);
  let counts = live.map((d) => d.weight / g);
  const total = counts.reduce((a, b) => a + b, 0);
  // Each live dest keeps one slot; the rest are shared in proportion, so the sum stays ≤ maxSlots.
  if (total > maxSlots) counts = counts.map((c) => 1 + Math.floor((c * (maxSlots - live.length)) / total));
  return live.flatMap((d, i) => Array<Dest>(counts[i]!).fill(d));
}

const ip = (s: Pick<Service, "family">) => (s.family === "inet6" ? "ip6" : "ip");

export function serviceComment(s: Service): string {
  const parts = [
    s.protocol === "fwmark"
      ? `fwmark ${s.family} ${s.fwmark}`
      : `${s.protocol} ${s.family} ${s.address} ${s.port}`,
    `s=${s.scheduler}`,
  ];
  if (s.persistence !== undefined) parts.push(`p=${s.persistence}`);
  if (s.netmask !== undefined) parts.push(`M=${s.netmask}`);
  if (s.schedFlags.length) parts.push(`b=${s.schedFlags.join(",")}`);
  if (s.ops) parts.push("o");
  if (s.persistenceEngine) parts.push(`pe=${s.persistenceEngine}`);
  return parts.join(" ");
}

export function destComment(d: Dest): string {
  return `w=${d.weight} f=${d.forward} x=${d.upperThreshold} y=${d.lowerThreshold}`;
}

function addrType(s: Service): string {
  return s.family === "inet6" ? "ipv6_addr" : "ipv4_addr";
}

/** Where the dnat sends a packet: the dest's port, or the service's when the dest has none. */
function target(s: Service, d: Dest, withPort: boolean): string {
  if (!withPort) return d.address;
  return `${d.address} . ${d.port || s.port}`;
}

function match(s: Service): string {
  if (s.protocol === "fwmark")
    return `meta nfproto ${s.family === "inet6" ? "ipv6" : "ipv4"} meta mark ${s.fwmark}`;
  return `${ip(s)} daddr ${s.address} ${s.protocol} dport ${s.port}`;
}

/**
 * The hash that picks a slot. Persistence and sh hash the client address (masked by
 * the persistence netmask), so one client keeps its real while the slots do not change:
 * source affinity without IPVS's per-client timeout.
 */
function selector(s: Service, n: number): string {
  if (s.scheduler === "sh" || s.persistence !== undefined) {
    const mask = s.netmask && s.family === "inet" && s.netmask !== "255.255.255.255" ? ` & ${s.netmask}` : "";
    return `jhash ${ip(s)} saddr${mask} mod ${n} seed 0x0`;
  }
  return `numgen inc mod ${n}`;
}

export function renderTable(table: Table): string {
  const out: string[] = [
    `table inet ${nftTable} {}`,
    `delete table inet ${nftTable}`,
    `table inet ${nftTable} {`,
    `  comment "managed by ldirector; edits here are overwritten"`,
  ];
  const rules: string[] = [];
  table.services.forEach((s, i) => {
    const elems = s.dests.map((d) => `${d.address} . ${d.port} comment "${destComment(d)}"`);
    out.push(
      `  set s${i} {`,
      `    type ${addrType(s)} . inet_service`,
      `    comment "${serviceComment(s)}"`,
      ...(elems.length ? [`    elements = { ${elems.join(", ")} }`] : []),
      "  }",
    );
    const slotDests = slots(s);
    if (slotDests.length === 0) return; // no live dest: packets reach the director itself and are refused
    const withPort = !(s.protocol === "fwmark" && s.dests.every((d) => d.port === 0));
    const key = selector(s, slotDests.length);
    const value = withPort ? `${ip(s)} daddr . tcp dport` : `${ip(s)} daddr`;
    const mapElems = slotDests.map((d, k) => `${k} : ${target(s, d, withPort)}`);
    out.push(
      `  map m${i} {`,
      `    typeof numgen inc mod ${slotDests.length} : ${value}`,
      `    elements = { ${mapElems.join(", ")} }`,
      "  }",
    );
    rules.push(`    ${match(s)} dnat ${ip(s)} to ${key} map @m${i} comment "s${i}"`);
  });
  out.push(
    "  chain services {",
    ...rules,
    "  }",
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    "    jump services",
    "  }",
    // Locally originated connections to a virtual address (a client on the director).
    "  chain output {",
    "    type nat hook output priority -100; policy accept;",
    "    jump services",
    "  }",
    "}",
  );
  return `${out.join("\n")}\n`;
}
