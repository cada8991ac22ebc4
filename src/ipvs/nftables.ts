// The nftables backend: the same Table, balanced by nftables NAT instead of IPVS, for
// kernels without IPVS. Each batch is one `nft -f -` transaction that replaces the
// whole `table inet ldirector` (other tables are never touched), then one read-back.
import { execFile } from "node:child_process";
import { type Applied, type Backend, BackendError } from "./backend.js";
import { type ConnCounts, parseConntrack } from "./conntrack.js";
import { applyOps } from "./memory.js";
import type { Table } from "./model.js";
import { parseNftJson } from "./nftables-parse.js";
import { nftTable, nftUnsupported, renderTable } from "./nftables-render.js";
import type { Op, OpFailure } from "./ops.js";

export interface NftablesOptions {
  /** The nft binary; default "nft" from PATH. */
  nft?: string;
  /** Run nft inside this network namespace (`ip netns exec NAME nft …`): tests, and directors in a netns. */
  netns?: string;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number | string }).code ?? 1) : 0;
        if (typeof code === "string") {
          reject(
            new BackendError(
              code === "ENOENT"
                ? `nft not found (${bin}); install nftables or use --backend ipvsadm|memory`
                : `cannot run ${bin}: ${code}`,
            ),
          );
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export class NftablesBackend implements Backend {
  readonly name = "nftables";
  private readonly nft: string;
  private readonly prefix: string[];
  /** The table as last read: the base the next batch is applied to, so a write needs no read before it. */
  private known: Table | undefined;

  constructor(opts: NftablesOptions & { config?: unknown } = {}) {
    this.nft = opts.nft ?? "nft";
    this.prefix = opts.netns ? ["netns", "exec", opts.netns, this.nft] : [];
  }

  private nftRun(args: string[], input?: string): Promise<Run> {
    return this.prefix.length ? run("ip", [...this.prefix, ...args], input) : run(this.nft, args, input);
  }

  /** From conntrack, when the conntrack tool is there; an empty map otherwise. */
  async connections(): Promise<Map<string, ConnCounts>> {
    const args = ["-L"];
    try {
      const r = this.prefix.length
        ? await run("ip", ["netns", "exec", this.prefix[2]!, "conntrack", ...args])
        : await run("conntrack", args);
      return r.code === 0 ? parseConntrack(r.stdout) : new Map();
    } catch {
      return new Map();
    }
  }

  async read(): Promise<Table> {
    const r = await this.nftRun(["-j", "list", "table", "inet", nftTable]);
    if (r.code !== 0) {
      if (!/No such file or directory/.test(r.stderr))
        throw new BackendError(`nft list failed: ${r.stderr.trim()}`);
      this.known = { services: [] };
    } else {
      this.known = parseNftJson(r.stdout);
    }
    return structuredClone(this.known);
  }

  async apply(ops: Op[]): Promise<Applied> {
    let execs = 0;
    if (!this.known) {
      await this.read();
      execs++;
    }
    const { table: next, failed } = applyOps(structuredClone(this.known!), ops);
    const refused: OpFailure[] = [];
    // A service nftables cannot express is left out rather than approximated; the daemon
    // refuses such configs at load, so this only guards direct callers.
    next.services = next.services.filter((s) => {
      const why = nftUnsupported(s);
      if (why) for (const op of ops) if (sameService(op, s)) refused.push({ op, error: why });
      return !why;
    });
    const w = await this.nftRun(["-f", "-"], renderTable(next));
    const table = await this.read();
    execs += 2;
    if (w.code !== 0) {
      return { table, failed: ops.map((op) => ({ op, error: `nft: ${w.stderr.trim()}` })), execs };
    }
    return { table, failed: [...failed, ...refused], execs };
  }
}

function sameService(
  op: Op,
  s: { protocol: string; address?: string; port: number; fwmark?: number },
): boolean {
  const o = op.service;
  return o.protocol === s.protocol && o.address === s.address && o.port === s.port && o.fwmark === s.fwmark;
}
