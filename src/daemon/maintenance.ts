// maintenancedir=: a file named after a real forces it down (ldirectord's
// _check_real_for_maintenance; docs/ldirectord-compat.md). The names tried, in ldirectord's order: <ip>:<port>, <ip>, <rev-dns-name>:<port>,
// <rev-dns-name>, <short-name>:<port>, <short-name>; IPv6 addresses in brackets.
//
// ldirectord does a blocking reverse lookup before every check of every real. Here
// each real's name is looked up once per config (with a timeout), and the directory is
// watched, so entering or leaving maintenance takes effect at once without a lookup.
import { reverse } from "node:dns/promises";
import { readdir } from "node:fs/promises";
import { watch, type FSWatcher } from "chokidar";
import type { Config } from "../config/types.js";
import { realId } from "../director/ids.js";

export type ReverseLookup = (address: string) => Promise<string[]>;

const lookupTimeoutMs = 2000;

async function reverseName(address: string, lookup: ReverseLookup): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((ok) => {
    timer = setTimeout(() => ok(undefined), lookupTimeoutMs);
  });
  try {
    const names = await Promise.race([lookup(address).catch(() => [] as string[]), timeout]);
    return names?.[0];
  } finally {
    clearTimeout(timer);
  }
}

/** File names that put each real into maintenance, by realId. */
export async function maintenanceNames(
  config: Config,
  lookup: ReverseLookup = reverse,
): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  const cache = new Map<string, Promise<string | undefined>>();
  for (const v of config.virtuals) {
    for (const r of v.reals) {
      const ip = r.family === "inet6" ? `[${r.address}]` : r.address;
      if (!cache.has(r.address)) cache.set(r.address, reverseName(r.address, lookup));
      const fqdn = await cache.get(r.address)!;
      const candidates = [`${ip}:${r.port}`, ip];
      if (fqdn) {
        const short = fqdn.split(".")[0]!;
        candidates.push(`${fqdn}:${r.port}`, fqdn, `${short}:${r.port}`, short);
      }
      names.set(realId(v, r), candidates);
    }
  }
  return names;
}

/** The realIds whose maintenance file exists in `files`. */
export function inMaintenance(names: Map<string, string[]>, files: ReadonlySet<string>): Set<string> {
  const down = new Set<string>();
  for (const [id, candidates] of names) if (candidates.some((n) => files.has(n))) down.add(id);
  return down;
}

/** Watches the directory and reports the set of reals in maintenance on every change. */
export class MaintenanceWatch {
  private watcher: FSWatcher | undefined;
  private names = new Map<string, string[]>();

  constructor(
    readonly dir: string,
    private readonly onChange: (down: Set<string>) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  async setConfig(config: Config, lookup?: ReverseLookup): Promise<void> {
    this.names = await maintenanceNames(config, lookup);
    if (!this.watcher) {
      this.watcher = watch(this.dir, { depth: 0, ignoreInitial: true });
      const rescan = () => void this.scan();
      this.watcher.on("add", rescan).on("unlink", rescan).on("error", this.onError);
    }
    await this.scan();
  }

  private async scan(): Promise<void> {
    let files: string[] = [];
    try {
      files = await readdir(this.dir);
    } catch (err) {
      // ldirectord only warns about a missing directory: no file, no maintenance.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.onError(err);
    }
    this.onChange(inMaintenance(this.names, new Set(files)));
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
