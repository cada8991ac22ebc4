// Names in a config file, resolved as ldirectord resolves them: hosts through the
// system resolver (hosts database, then DNS) for the address family of the block, ports
// through /etc/services as getservbyname(3) reads it.
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import type { Family } from "./types.js";

/** Turns a host name into one numeric address of the family; rejects when there is none. */
export type NameResolver = { lookup(host: string, family: Family): Promise<string> };

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), first address of the family. */
export const systemResolver: NameResolver = {
  async lookup(host, family) {
    const result = await lookup(host, { family: family === "inet" ? 4 : 6, verbatim: true });
    return result.address;
  },
};

/** /etc/services: name or alias → port, per protocol, in file order. */
export interface ServicesDb {
  entries: readonly { names: readonly string[]; port: number; protocol: string }[];
}

export function parseServices(text: string): ServicesDb {
  const entries: { names: string[]; port: number; protocol: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? "");
    if (name === undefined || m === null) continue;
    entries.push({ names: [name, ...aliases], port: Number(m[1]), protocol: m[2]! });
  }
  return { entries };
}

export async function readServices(path = "/etc/services"): Promise<ServicesDb> {
  try {
    return parseServices(await readFile(path, "utf8"));
  } catch {
    // No services database: only numeric ports resolve, as with an empty /etc/services.
    return { entries: [] };
  }
}

/**
 * getservbyname(name, protocol): a number is itself (0..65535); a name is looked up in
 * the database, for any protocol when `protocol` is "" (ldirectord does that for reals).
 */
export function servicePort(db: ServicesDb, name: string, protocol: string): number | undefined {
  if (/^\d+$/.test(name)) {
    const port = Number(name);
    return port <= 65535 ? port : undefined;
  }
  for (const e of db.entries) {
    if ((protocol === "" || e.protocol === protocol) && e.names.includes(name)) return e.port;
  }
  return undefined;
}

/** A numeric address of `family` as is; a name through the resolver; undefined when it fails. */
export async function resolveHost(
  resolver: NameResolver,
  host: string,
  family: Family,
): Promise<string | undefined> {
  const literal = isIP(host);
  if (literal !== 0) return literal === (family === "inet" ? 4 : 6) ? host : undefined;
  try {
    const address = await resolver.lookup(host, family);
    return isIP(address) === (family === "inet" ? 4 : 6) ? address : undefined;
  } catch {
    return undefined;
  }
}
