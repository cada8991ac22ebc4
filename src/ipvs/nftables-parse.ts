// `nft -j list table inet ldirector` → Table. Reads what renderTable wrote: the sets
// carry the model; the maps and rules are checked against it, and a service whose data
// plane does not match (a rule deleted by hand, a map edited) is reported without its
// live dests, so the director's next pass re-adds them and the whole table is rewritten.
import type { Dest, ForwardMethod, IpFamily, Service, ServiceProtocol, Table } from "./model.js";
import { slots } from "./nftables-render.js";

type NftObject = Record<string, unknown>;

interface NftSet {
  name: string;
  comment?: string;
  elem?: unknown[];
}
interface NftMap {
  name: string;
  elem?: unknown[];
}
interface NftRule {
  chain: string;
  comment?: string;
}

export class NftParseError extends Error {
  override readonly name = "NftParseError";
}

function parseServiceComment(comment: string): Omit<Service, "dests"> {
  const [head, ...opts] = comment.split(" s=");
  const words = (head ?? "").split(" ");
  let svc: Omit<Service, "dests">;
  if (words[0] === "fwmark") {
    svc = {
      protocol: "fwmark",
      family: words[1] as IpFamily,
      fwmark: Number(words[2]),
      port: 0,
      scheduler: "",
      schedFlags: [],
      ops: false,
    };
  } else {
    svc = {
      protocol: words[0] as ServiceProtocol,
      family: words[1] as IpFamily,
      address: words[2],
      port: Number(words[3]),
      scheduler: "",
      schedFlags: [],
      ops: false,
    };
  }
  const rest = `s=${opts.join(" s=")}`.split(" ");
  for (const r of rest) {
    const [k, v = ""] = r.split("=", 2) as [string, string | undefined];
    if (k === "s") svc.scheduler = v;
    else if (k === "p") svc.persistence = Number(v);
    else if (k === "M") svc.netmask = v;
    else if (k === "b") svc.schedFlags = v.split(",");
    else if (k === "o") svc.ops = true;
    else if (k === "pe") svc.persistenceEngine = v;
  }
  if (!svc.scheduler || (svc.protocol !== "fwmark" && !svc.address)) {
    throw new NftParseError(`unreadable service comment "${comment}"`);
  }
  return svc;
}

function parseDest(e: unknown): Dest {
  const el = (e as { elem?: { val?: { concat?: [string, number] }; comment?: string } }).elem;
  const [address, port] = el?.val?.concat ?? [];
  const fields = Object.fromEntries((el?.comment ?? "").split(" ").map((kv) => kv.split("=", 2)));
  if (typeof address !== "string" || typeof port !== "number" || fields.w === undefined) {
    throw new NftParseError(`unreadable dest element ${JSON.stringify(e)}`);
  }
  return {
    address,
    port,
    forward: (fields.f ?? "masq") as ForwardMethod,
    weight: Number(fields.w),
    upperThreshold: Number(fields.x ?? 0),
    lowerThreshold: Number(fields.y ?? 0),
  };
}

/** The map's slots as "addr" or "addr:port" strings, in key order. */
function mapSlots(m: NftMap): string[] {
  const pairs = (m.elem ?? []) as [number, unknown][];
  return [...pairs]
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => {
      const c = (v as { concat?: [string, number] }).concat;
      return c ? `${c[0]}:${c[1]}` : String(v);
    });
}

export function parseNftJson(text: string): Table {
  const doc = JSON.parse(text) as { nftables?: NftObject[] };
  const sets = new Map<string, NftSet>();
  const maps = new Map<string, NftMap>();
  const rules = new Set<string>();
  for (const o of doc.nftables ?? []) {
    if (o.set) {
      const s = o.set as NftSet;
      sets.set(s.name, s);
    } else if (o.map) {
      const m = o.map as NftMap;
      maps.set(m.name, m);
    } else if (o.rule) {
      const r = o.rule as NftRule;
      if (r.chain === "services" && r.comment) rules.add(r.comment);
    }
  }
  const services: Service[] = [];
  for (const [name, set] of sets) {
    if (!/^s\d+$/.test(name)) continue;
    const i = name.slice(1);
    const service: Service = {
      ...parseServiceComment(set.comment ?? ""),
      dests: (set.elem ?? []).map(parseDest),
    };
    const want = slots(service);
    const withPort = !(service.protocol === "fwmark" && service.dests.every((d) => d.port === 0));
    const wantSlots = want.map((d) => (withPort ? `${d.address}:${d.port || service.port}` : d.address));
    const map = maps.get(`m${i}`);
    const intact =
      want.length === 0 ||
      (map !== undefined &&
        rules.has(`s${i}`) &&
        JSON.stringify(mapSlots(map)) === JSON.stringify(wantSlots));
    // A broken data plane: live dests do not really receive traffic, so do not claim them.
    if (!intact) service.dests = service.dests.filter((d) => d.weight === 0);
    services.push(service);
  }
  return { services };
}
