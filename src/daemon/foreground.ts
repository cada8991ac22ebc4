// The daemon process itself: pid file, control socket, signals, and the Daemon.
import { unlinkSync } from "node:fs";
import type { Logger } from "pino";
import type { Args } from "../args.js";
import { ConfigErrors } from "../config/errors.js";
import type { Config } from "../config/types.js";
import { validatorFor } from "./backend-constraints.js";
import { createBackend } from "./backend-factory.js";
import { controlPointerPath, controlSocketPath, runDir } from "./config-file.js";
import { Daemon } from "./daemon.js";
import { createLogger } from "./logger.js";
import { PidFileHeldError, pidFilePath, removePidFile, writePidFile } from "./pidfile.js";
import { errorText } from "./prepared.js";
import { readConfig } from "./read-config.js";

/** Runs until SIGTERM/SIGINT; returns the exit status. */
export async function runForeground(args: Args, configPath: string): Promise<number> {
  let config: Config;
  try {
    config = (await readConfig(configPath)).config;
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
  let cleaned: Promise<void> | undefined;
  // Once only: a failed start and a stop signal during it may both get here.
  const cleanup = () =>
    (cleaned ??= (async () => {
      process.off("SIGUSR1", reopen);
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
      // Said only because it is done right here: the cleanup is abandoned, the table is
      // left as it is, and the pid file goes so `status` does not report a dead daemon.
      log.warn(
        { signal, waitingFor: daemon?.stopStep ?? "start-up" },
        "second stop signal while cleaning up; exiting now without finishing the cleanup",
      );
      try {
        unlinkSync(pidFile);
      } catch {
        // Already gone.
      }
      process.exit(1);
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
  // A SIGHUP before start-up finishes is kept for after it: the file may have been
  // edited after start-up read it, and a reload racing the first pass would be unsafe.
  let startedUp = false;
  let hupDuringStart = false;
  const hup = () => {
    if (startedUp) void daemon?.reload("SIGHUP");
    else hupDuringStart = true;
  };
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  process.on("SIGHUP", hup);
  process.on("SIGPIPE", () => {});

  started = (async () => {
    const backend = await createBackend({ name: args.backend, ipvsadmPath: args.ipvsadm }, config);
    const instanceArgs = [
      ...(args.backend ? ["--backend", args.backend] : []),
      ...(args.ipvsadm ? ["--ipvsadm", args.ipvsadm] : []),
      ...(args.checkWorkers !== undefined ? ["--check-workers", String(args.checkWorkers)] : []),
    ];
    daemon = new Daemon({
      configPath,
      backend,
      logger: log,
      validate: validatorFor(args.backend),
      instanceArgs,
      ...(args.checkWorkers !== undefined ? { checkWorkers: args.checkWorkers } : {}),
      controlSocket: controlSocketPath(configPath, dir),
      controlPointer: controlPointerPath(configPath, dir),
      // Only a detached daemon logs to logfile=; -d and --foreground log to the console.
      ...(args.daemonized ? { retargetLog: logging.retarget } : {}),
    });
    await daemon.start();
    return true;
  })();
  try {
    await started;
  } catch (err) {
    // One line per problem, no stack: the message names the line or the resource at fault.
    const msg = errorText(err);
    log.fatal({ err: msg }, "start failed");
    for (const line of msg.split("\n")) process.stderr.write(`error: ${line}\n`);
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    process.off("SIGHUP", hup);
    await daemon?.stop().catch(() => {});
    await cleanup();
    return err instanceof ConfigErrors ? 2 : 1;
  }
  startedUp = true;
  if (hupDuringStart && !stopping) void daemon?.reload("SIGHUP during start-up");
  if (!stopping) {
    process.send?.({ ready: true });
    if (process.connected) process.disconnect();
  }
  return done;
}
