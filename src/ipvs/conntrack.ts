// Connection counts for a NAT data plane, from `conntrack -L`: what IPVS shows as
// ActiveConn / InActConn. A DNATed connection's original tuple names the virtual
// service (dst, dport) and its reply tuple names the real (src, sport). As in IPVS, an
// ESTABLISHED TCP connection is active; any other state, and every UDP flow, inactive.

export interface ConnCounts {
  active: number;
  inactive: number;
}

/** Key for a (service, dest) pair: `<proto>:<vip>:<vport>|<rip>:<rport>`. */
export function connKey(protocol: string, vip: string, vport: number, rip: string, rport: number): string {
  return `${protocol}:${vip}:${vport}|${rip}:${rport}`;
}

export function parseConntrack(text: string): Map<string, ConnCounts> {
  const counts = new Map<string, ConnCounts>();
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    const protocol = words[0];
    if (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") continue;
    // Each field appears twice: first in the original tuple, then in the reply tuple.
    const field = (name: string) =>
      words.filter((w) => w.startsWith(`${name}=`)).map((w) => w.slice(name.length + 1));
    const [origDst, origDport] = [field("dst")[0], field("dport")[0]];
    const [replySrc, replySport] = [field("src")[1], field("sport")[1]];
    if (!origDst || !replySrc || !origDport || !replySport) continue;
    // Not translated: the reply comes from where the packet was sent, no real involved.
    if (replySrc === origDst && replySport === origDport) continue;
    const key = connKey(protocol, origDst, Number(origDport), replySrc, Number(replySport));
    const c = counts.get(key) ?? { active: 0, inactive: 0 };
    if (protocol === "tcp" && words.includes("ESTABLISHED")) c.active++;
    else c.inactive++;
    counts.set(key, c);
  }
  return counts;
}
