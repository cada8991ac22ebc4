// The daemon process itself: pid file, control socket, signals, and the Daemon.
import type { Logger } from "pino";
import { renderMetrics } from "../api/metrics.js";
import { startControlServer } from "../api/server.js";
import type { Args } from "../args.js";
import { ConfigErrors } from "../config/errors.js";
import { loadConfig } from "../config/index.js";
import { BackendError } from "../ipvs/backend.js";
import { validatorFor } from "./backend-constraints.js";
import { createBackend } from "./backend-factory.js";
import { controlSocketPath, runDir } from "./config-file.js";
import { Daemon } from "./daemon.js";
import { createLogger } from "./logger.js";
import { PidFileHeldError, pidFilePath, removePidFile, writePidFile } from "./pidfile.js";

/** Runs until SIGTERM/SIGINT; returns the exit status. */
export async function runForeground(args: Args, configPath: string): Promise<number> {
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(configPath);
    validatorFor(args.backend)?.(config);
  } catch (err) {
    if (err instanceof ConfigErrors)
      for (const e of err.errors) process.stderr.write(`error: ${e.message}\n`);
    else process.stderr.write(`error: ${String(err)}\n`);
    return 2;
  }
  // -d: readable logs on stdout. --foreground (systemd): JSON on stdout for journald.
  // Detached: logfile= (a file or a syslog facility), as ldirectord.
  const logging = createLogger({
    target: args.daemonized ? config.global.logfile : "stdout",
    pretty: args.debug,
    name: "ldirector",
  });
  const log: Logger = logging.logger;
  // logrotate's postrotate sends SIGUSR1: reopen the log file.
  let daemon: Daemon | undefined;
  const reopen = () => {
    logging.reopen();
    void daemon?.reopenFiles();
  };
  process.on("SIGUSR1", reopen);
  const dir = runDir();
  const pidFile = pidFilePath(configPath, dir);
  try {
    await writePidFile(pidFile);
  } catch (err) {
    const msg = err instanceof PidFileHeldError ? err.message : `cannot write pid file: ${String(err)}`;
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
  let control: { close(): Promise<void> } | undefined;
  const cleanup = async () => {
    process.off("SIGUSR1", reopen);
    await control?.close();
    await removePidFile(pidFile);
    await logging.close();
  };
  try {
    const backend = await createBackend({ name: args.backend, ipvsadmPath: args.ipvsadm }, config);
    const instanceArgs = [
      ...(args.backend ? ["--backend", args.backend] : []),
      ...(args.ipvsadm ? ["--ipvsadm", args.ipvsadm] : []),
    ];
    daemon = new Daemon({
      configPath,
      backend,
      logger: log,
      validate: validatorFor(args.backend),
      instanceArgs,
    });
    await daemon.start();
    const d = daemon;
    control = await startControlServer(controlSocketPath(configPath, `${dir}/ldirector`), async (req) => {
      if (req.cmd === "status") return d.report();
      if (req.cmd === "reload") return d.reload("control socket");
      if (req.cmd === "metrics") return renderMetrics(d.status());
      throw new Error(`unknown command ${req.cmd}`);
    });
  } catch (err) {
    const msg =
      err instanceof BackendError || err instanceof ConfigErrors
        ? err.message
        : String((err as Error)?.stack ?? err);
    log.fatal({ err }, "start failed");
    process.stderr.write(`error: ${msg}\n`);
    await daemon?.stop().catch(() => {});
    await cleanup();
    return err instanceof ConfigErrors ? 2 : 1;
  }
  process.send?.({ ready: true });
  if (process.connected) process.disconnect();

  const d = daemon;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn({ signal }, "second stop signal while cleaning up; exiting now");
        resolve(1);
        return;
      }
      stopping = true;
      log.info({ signal }, "stopping");
      void d
        .stop()
        .catch((err: unknown) => log.error({ err }, "cleanup failed"))
        .then(cleanup)
        .then(() => {
          process.off("SIGHUP", hup);
          // Nothing should be left running; if a library keeps a handle open, do not hang.
          setTimeout(() => process.exit(0), 2000).unref();
          resolve(0);
        });
    };
    const hup = () => void d.reload("SIGHUP");
    process.on("SIGHUP", hup);
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGPIPE", () => {});
  });
}
