// What the daemon opens for its config, apart from checks and the kernel table: the
// built-in sorry server, the web listener (metricsaddress=), the control socket and the
// log destination (logfile=). Each reload (and the start) prepares what the new config
// asks for before anything switches: a port in use, an address the host lacks or a
// missing page is an error naming the line, and the running ones stay.
import { rename, rm, writeFile } from "node:fs/promises";
import type { RequestListener } from "node:http";
import type { Logger } from "pino";
import { hostPort } from "../director/ids.js";
import type { Config, ListenAddress, LogTarget } from "../config/types.js";
import { type Listener, startControlSocket, startTcpListener } from "../api/server.js";
import { readSorryPage, type SorryServer, startSorryServer } from "../sorry/server.js";
import { directiveLine } from "./directive-location.js";
import type { FdBudget } from "./fd-budget.js";
import { errorText, type Prepared, PrepareError, prepareAll, unchanged } from "./prepared.js";
import { handOver, type Held, heldByOurOwn, proveAddress } from "./same-port.js";

export interface ResourceOptions {
  log: Logger;
  /** The handler of the web listener for a given listen address (its Host policy needs it). */
  webHandler: (at: ListenAddress) => RequestListener;
  controlHandler: RequestListener;
  /** The control socket when the config names none; undefined: no socket unless controlsocket= names one. */
  defaultControlSocket?: string;
  /** A file that holds the control socket's current path, for the CLI (the config may name a new one). */
  controlPointer?: string;
  /** Switches the log destination (the daemon's logger); absent: logs do not follow logfile=. */
  retargetLog?: (target: LogTarget) => Promise<Prepared>;
  budget: FdBudget;
}

export class Resources {
  private sorry: { at: ListenAddress; server: SorryServer } | undefined;
  private web: { at: ListenAddress; listener: Listener } | undefined;
  private control: { path: string; listener: Listener } | undefined;

  constructor(private readonly opts: ResourceOptions) {}

  /** The control socket's path now (status, tests). */
  get controlSocket(): string | undefined {
    return this.control?.path;
  }

  /**
   * Gets ready what `next` (read from `text`) needs; throws PrepareError naming the line
   * when something cannot be had, having given up whatever it had prepared.
   */
  async prepare(next: Config, text: string): Promise<Prepared> {
    const line = (name: string) => directiveLine(text, next.file, name);
    const step =
      (name: string, value: () => string, run: () => Promise<Prepared>) => async (): Promise<Prepared> => {
        try {
          return await run();
        } catch (err) {
          if (err instanceof PrepareError) throw err;
          throw new PrepareError(`${line(name)}: ${name}=${value()}: ${errorText(err)}`);
        }
      };
    const g = next.global;
    const prepared = await prepareAll([
      step(
        "sorrypage",
        () => g.sorryPage ?? "",
        () => this.prepareSorry(g.sorryServer, g.sorryPage, line),
      ),
      step(
        "metricsaddress",
        () => addr(g.metricsAddress),
        () => this.prepareWeb(g.metricsAddress),
      ),
      step(
        "controlsocket",
        () => g.controlSocket ?? "",
        () => this.prepareControl(g.controlSocket),
      ),
      step(
        "logfile",
        () => (g.logfile.kind === "file" ? g.logfile.path : g.logfile.facility),
        () => this.opts.retargetLog?.(g.logfile) ?? Promise.resolve(unchanged),
      ),
    ]);
    return {
      commit: async () => {
        for (const p of prepared) await p.commit();
      },
      abort: async () => {
        for (const p of [...prepared].reverse()) await p.abort();
      },
    };
  }

  async close(): Promise<void> {
    await this.sorry?.server.close();
    await this.web?.listener.close();
    await this.closeControl();
    this.sorry = undefined;
    this.web = undefined;
  }

  private async prepareSorry(
    want: ListenAddress | undefined,
    page: string | undefined,
    line: (name: string) => string,
  ): Promise<Prepared> {
    const old = this.sorry;
    if (!want) return old ? { commit: () => this.dropSorry(), abort: async () => {} } : unchanged;
    // The page is read again on every reload: an edited page is picked up, a missing one refused.
    let body: Buffer;
    try {
      body = await readSorryPage(page);
    } catch (err) {
      const name = page === undefined ? "sorryserver" : "sorrypage";
      throw new PrepareError(`${line(name)}: ${name}=${page ?? addr(want)}: ${errorText(err)}`);
    }
    if (old && sameAddress(old.at, want)) {
      return { commit: async () => old.server.setPage(body), abort: async () => {} };
    }
    const start = (at: ListenAddress) =>
      startSorryServer({
        host: at.address,
        port: at.port,
        pagePath: page,
        maxConnections: this.opts.budget.sorryConnections,
      });
    let server: SorryServer;
    try {
      server = await start(want);
    } catch (err) {
      if (old && heldByOurOwn(err, old, want)) {
        try {
          await proveAddress(want.address);
        } catch (bad) {
          throw new PrepareError(`${line("sorryserver")}: sorryserver=${addr(want)}: ${errorText(bad)}`);
        }
        const set = (held: Held<SorryServer> | undefined) =>
          (this.sorry = held && { at: held.at, server: held.server });
        return handOver({ old, want, start, set, log: this.opts.log, what: "sorry server" });
      }
      throw new PrepareError(`${line("sorryserver")}: sorryserver=${addr(want)}: ${errorText(err)}`);
    }
    return {
      commit: async () => {
        await old?.server.close();
        this.sorry = { at: want, server };
        this.opts.log.info(
          { address: addr(want), maxConnections: this.opts.budget.sorryConnections },
          "sorry server listening",
        );
      },
      abort: () => server.close(),
    };
  }

  private async dropSorry(): Promise<void> {
    await this.sorry?.server.close();
    this.sorry = undefined;
  }

  private async prepareWeb(want: ListenAddress | undefined): Promise<Prepared> {
    const old = this.web;
    if (old && want && sameAddress(old.at, want)) return unchanged;
    if (!want) {
      if (!old) return unchanged;
      return {
        commit: async () => {
          await old.listener.close();
          this.web = undefined;
        },
        abort: async () => {},
      };
    }
    const start = (at: ListenAddress) =>
      startTcpListener(at.address, at.port, this.opts.webHandler(at), {
        maxConnections: this.opts.budget.webConnections,
      });
    let listener: Listener;
    try {
      listener = await start(want);
    } catch (err) {
      if (!(old && heldByOurOwn(err, old, want))) throw err;
      await proveAddress(want.address);
      const held = { at: old.at, server: old.listener };
      const set = (h: Held<Listener> | undefined) => (this.web = h && { at: h.at, listener: h.server });
      return handOver({ old: held, want, start, set, log: this.opts.log, what: "web listener" });
    }
    return {
      commit: async () => {
        await old?.listener.close();
        this.web = { at: want, listener };
        const key = addr(want);
        this.opts.log.info({ address: key }, `status page at http://${key}/, metrics at /metrics`);
      },
      abort: () => listener.close(),
    };
  }

  private async prepareControl(named: string | undefined): Promise<Prepared> {
    const path = named ?? this.opts.defaultControlSocket;
    const old = this.control;
    if (old?.path === path) return unchanged;
    if (path === undefined) return { commit: () => this.closeControl(), abort: async () => {} };
    const listener = await startControlSocket(path, this.opts.controlHandler);
    return {
      commit: async () => {
        this.control = { path, listener };
        await this.writePointer(path);
        await old?.listener.close();
        if (old) this.opts.log.info({ from: old.path, to: path }, "control socket moved");
      },
      abort: () => listener.close(),
    };
  }

  private async closeControl(): Promise<void> {
    await this.control?.listener.close();
    this.control = undefined;
    if (this.opts.controlPointer) await rm(this.opts.controlPointer, { force: true });
  }

  /** Written atomically, so the CLI never reads half a path. */
  private async writePointer(path: string): Promise<void> {
    const file = this.opts.controlPointer;
    if (!file) return;
    try {
      await writeFile(`${file}.tmp`, `${path}\n`, { mode: 0o644 });
      await rename(`${file}.tmp`, file);
    } catch (err) {
      this.opts.log.error({ file, err: String(err) }, "cannot record where the control socket is");
    }
  }
}

function addr(a: ListenAddress | undefined): string {
  return a ? hostPort(a.address, a.port) : "";
}

function sameAddress(a: ListenAddress, b: ListenAddress): boolean {
  return a.address === b.address && a.port === b.port;
}
