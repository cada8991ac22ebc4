// The daemon process itself: pid file, control socket, signals, and the Daemon.
import type { Logger } from "pino";
import { apiHandler } from "../api/routes.js";
import { startControlSocket } from "../api/server.js";
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
  let cleaned: Promise<void> | undefined;
  // Once only: a failed start and a stop signal during it may both get here.
  const cleanup = () =>
    (cleaned ??= (async () => {
      process.off("SIGUSR1", reopen);
      await control?.close();
      await removePidFile(pidFile);
      await logging.close();
    })());

  // Stop signals are taken from here on, before start-up finishes: a SIGTERM while the
  // daemon is still starting (reading the table, starting execute= instances) must
  // still clean up, not kill the process with the table half-written.
  let started: Promise<boolean> = Promise.resolve(false);
  let stopping: Promise<number> | undefined;
  let exited!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second stop signal while cleaning up; exiting now");
      exited(1);
      return;
    }
    log.info({ signal }, "stopping");
    stopping = started
      .then(() => daemon?.stop())
      .catch((err: unknown) => log.error({ err }, "cleanup failed"))
      .then(cleanup)
      .then(() => 0);
    void stopping.then((code) => {
      // Nothing should be left running; if a library keeps a handle open, do not hang.
      setTimeout(() => process.exit(code), 2000).unref();
      exited(code);
    });
  };
  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  const hup = () => void daemon?.reload("SIGHUP");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  process.on("SIGHUP", hup);
  process.on("SIGPIPE", () => {});

  started = (async () => {
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
    // The socket is root-only (0700 directory), so every action is allowed on it.
    control = await startControlSocket(
      config.global.controlSocket ?? controlSocketPath(configPath, dir),
      apiHandler(d, { actions: () => true, requireActionHeader: false, reload: true }),
    );
    return true;
  })();
  try {
    await started;
  } catch (err) {
    const msg =
      err instanceof BackendError || err instanceof ConfigErrors
        ? err.message
        : String((err as Error)?.stack ?? err);
    log.fatal({ err }, "start failed");
    process.stderr.write(`error: ${msg}\n`);
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    process.off("SIGHUP", hup);
    await daemon?.stop().catch(() => {});
    await cleanup();
    return err instanceof ConfigErrors ? 2 : 1;
  }
  if (!stopping) {
    process.send?.({ ready: true });
    if (process.connected) process.disconnect();
  }
  return done;
}
