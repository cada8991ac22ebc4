// The nftables backend: the same Table, balanced by nftables NAT instead of IPVS, for
// kernels without IPVS. Each batch is one `nft -f -` transaction that replaces the
// whole `table inet ldirector` (other tables are never touched), then one read-back.
import { type Applied, type Backend, BackendError } from "./backend.js";
import { type ConnCounts, parseConntrack } from "./conntrack.js";
import { applyOps } from "./memory.js";
import type { Table } from "./model.js";
import { parseNftJson } from "./nftables-parse.js";
import { nftTable, nftUnsupported, renderTable } from "./nftables-render.js";
import type { Op, OpFailure } from "./ops.js";
import { runProcess } from "../lib/process.js";

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

const NFT_TIMEOUT_MS = 30_000;
/** The ruleset and conntrack listings are read whole; this only stops a runaway. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

async function run(bin: string, args: string[], input?: string): Promise<Run> {
  const r = await runProcess([bin, ...args], {
    ...(input === undefined ? {} : { input }),
    timeoutMs: NFT_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
  });
  if (r.ended === "spawn-error") {
    throw new BackendError(
      r.error?.code === "ENOENT"
        ? `nft not found (${bin}); install nftables or use --backend ipvsadm|memory`
        : `cannot run ${bin}: ${r.error?.code ?? "unknown error"}`,
    );
  }
  if (r.ended !== "exit")
    throw new BackendError(`${bin} did not finish within ${NFT_TIMEOUT_MS} ms and was stopped`);
  // A cut-off ruleset would read as a table with services missing.
  if (r.truncated) throw new BackendError(`${bin} printed more than ${MAX_OUTPUT_BYTES} bytes`);
  // Death by a signal counts as a failure, as a non-zero exit does.
  return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
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
