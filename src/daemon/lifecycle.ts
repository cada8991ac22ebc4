// start | stop | restart | try-restart | reload | force-reload | status, as ldirectord
// does them, minus its management bugs: a broken config never touches the running
// daemon or its pid file, every mode writes a pid file, and stop waits for cleanup.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ControlError, controlRequest } from "../api/client.js";
import type { StatusView } from "../api/types.js";
import type { Args } from "../args.js";
import { type Verb, type VerbResult, verbNamed } from "../control/verbs.js";
import { ConfigErrors } from "../config/errors.js";
import { controlPointerPath, controlSocketPath, locateConfig, runDir } from "./config-file.js";
import type { ReloadOutcome } from "./daemon.js";
import { runForeground } from "./foreground.js";
import { formatStatus } from "../api/format-status.js";
import { type PidFileHolder, pidFilePath, readPidFile } from "./pidfile.js";
import { errorText } from "./prepared.js";
import { readConfig } from "./read-config.js";

const stopWaitMs = 30_000;
const startWaitMs = 60_000;

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

function printConfigErrors(err: unknown): number {
  if (err instanceof ConfigErrors) {
    for (const e of err.errors) say(`error: ${e.message}`);
    say(`${err.errors.length} error(s); nothing was changed`);
    return 2;
  }
  say(`error: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
}

async function running(pidFile: string): Promise<PidFileHolder | undefined> {
  const h = await readPidFile(pidFile);
  return h?.alive && h.ours ? h : undefined;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Every failure is one line on stderr, never a stack trace. */
export async function lifecycle(args: Args): Promise<number> {
  try {
    return await command(args);
  } catch (err) {
    say(`error: ${oneLine(err)}`);
    return 1;
  }
}

function oneLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "EPERM" && e.syscall === "kill")
    return "not allowed to signal the daemon (run this as root)";
  if (e?.code === "EACCES") return `permission denied: ${e.path ?? errorText(err)} (run this as root)`;
  return errorText(err).split("\n")[0]!;
}

/** Sends a signal; EPERM is a clear error (a non-root `stop`), a vanished process is no error. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

async function command(args: Args): Promise<number> {
  const configPath = locateConfig(args.configFile);
  const dir = runDir();
  const pidFile = pidFilePath(configPath, dir);

  const stop = async (): Promise<number> => {
    const found = await readPidFile(pidFile);
    // A live pid this user cannot look into (another user's process, /proc hidepid):
    // saying "stopped" would be a guess, and signalling it is not allowed anyway.
    if (found?.alive && !found.ours && process.getuid?.() !== 0) {
      say(`error: cannot tell whether pid ${found.pid} is ldirector, nor signal it: run this as root`);
      return 1;
    }
    const h = found?.alive && found.ours ? found : undefined;
    if (!h) return 0;
    if (!signal(h.pid, "SIGTERM")) return 0;
    // ldirectord's stop returns at once, so systemd used to kill it mid-cleanup (PR #541).
    if (await waitGone(h.pid, stopWaitMs)) return 0;
    say(`ldirector (pid ${h.pid}) did not stop within ${stopWaitMs / 1000} s`);
    return 1;
  };

  const start = async (): Promise<number> => {
    const h = await running(pidFile);
    if (h) {
      say(`ldirector for ${configPath} is already running with pid: ${h.pid}`);
      return 0;
    }
    let supervised = false;
    try {
      supervised = (await readConfig(configPath)).config.global.supervised;
    } catch (err) {
      return printConfigErrors(err);
    }
    if (args.debug || args.foreground || supervised) return runForeground(args, configPath);
    return startDetached(args, configPath);
  };

  const verb = verbNamed(args.command);
  if (verb) return runVerb(verb, args, configPath, pidFile, dir);
  switch (args.command) {
    case "start":
      return start();
    case "stop":
      return stop();
    case "restart": {
      // Validate first: restarting into a broken config would leave nothing running.
      try {
        await readConfig(configPath);
      } catch (err) {
        return printConfigErrors(err);
      }
      const rc = await stop();
      return rc === 0 ? start() : rc;
    }
    case "try-restart":
      if (!(await running(pidFile))) return 0;
      return (await stop()) === 0 ? start() : 1;
    case "reload":
    case "force-reload": {
      const h = await running(pidFile);
      if (!h) {
        say(`ldirector is stopped for ${configPath}`);
        return 1;
      }
      try {
        await readConfig(configPath);
      } catch (err) {
        say("the running ldirector keeps its current configuration");
        return printConfigErrors(err);
      }
      return reload(h, configPath, dir);
    }
    case "status":
      return status(args, configPath, pidFile, dir);
    default:
      return 255;
  }
}

async function status(args: Args, configPath: string, pidFile: string, dir: string): Promise<number> {
  const h = await readPidFile(pidFile);
  if (!h) {
    process.stdout.write(`ldirector is stopped for ${configPath}\n`);
    return 3;
  }
  if (!h.alive || !h.ours) {
    say(`ldirector stale pid file ${pidFile} for ${configPath}`);
    process.stdout.write(`ldirector is stopped for ${configPath}\n`);
    return 1;
  }
  let report: StatusView | undefined;
  try {
    report = (await controlRequest(await socketFor(configPath, dir), "GET", "/status")) as StatusView;
  } catch (err) {
    say(
      `ldirector is running (pid ${h.pid}) but its control socket did not answer: ${(err as Error).message}`,
    );
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ pid: h.pid, config: configPath, ...report }, null, 2)}\n`);
  } else {
    say(`ldirector for ${configPath} is running with pid: ${h.pid}`);
    if (report) process.stdout.write(formatStatus(report));
  }
  return 0;
}

/**
 * Where the running daemon's control socket is: as it recorded it (a reload may have
 * moved it), else the config's controlsocket=, else the default.
 */
async function socketFor(configPath: string, dir: string): Promise<string> {
  const recorded = await readFile(controlPointerPath(configPath, dir), "utf8").catch(() => "");
  if (recorded.trim()) return recorded.trim();
  try {
    return (await readConfig(configPath)).config.global.controlSocket ?? controlSocketPath(configPath, dir);
  } catch {
    return controlSocketPath(configPath, dir);
  }
}

/**
 * Asks the daemon to reload over its control socket and reports what it did: a file it
 * refused (a port in use, a missing page, a directive that needs a restart) is an error
 * here too, not a 0 with the error in the log.
 */
async function reload(h: PidFileHolder, configPath: string, dir: string): Promise<number> {
  let outcome: ReloadOutcome;
  try {
    // A reload runs callback= and the execute= instances: give it time.
    outcome = (await controlRequest(
      await socketFor(configPath, dir),
      "POST",
      "/reload",
      undefined,
      180_000,
    )) as ReloadOutcome;
  } catch (err) {
    if (!signal(h.pid, "SIGHUP")) return 1;
    say(
      `the control socket did not answer (${errorText(err)}); sent SIGHUP instead: the log says whether the reload worked`,
    );
    return 1;
  }
  if (outcome.ok) return 0;
  for (const e of outcome.errors) say(`error: ${e}`);
  say("the running ldirector keeps its current configuration");
  return 1;
}

/** A verb of the control table (drain, weight, …), through the running daemon's control socket. */
async function runVerb(
  verb: Verb,
  args: Args,
  configPath: string,
  pidFile: string,
  dir: string,
): Promise<number> {
  if (!(await running(pidFile))) {
    say(`ldirector is stopped for ${configPath}`);
    return 3;
  }
  let result: VerbResult;
  try {
    result = (await controlRequest(
      await socketFor(configPath, dir),
      verb.method,
      verb.route,
      verb.method === "POST" ? (args.params ?? {}) : undefined,
      verb.timeoutMs,
    )) as VerbResult;
  } catch (err) {
    say(`error: ${(err as Error).message}`);
    // 4 = LSB "unknown", here: no such real, or an ambiguous name.
    return err instanceof ControlError && err.status !== undefined && err.status < 500 ? 4 : 1;
  }
  process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : `${verb.say(result)}\n`);
  return 0;
}

/**
 * Starts the daemon as a detached child and waits until it says it is ready (its first
 * table pass is done) or fails, so `start` returns 0 only for a daemon that works.
 */
function startDetached(args: Args, configPath: string): Promise<number> {
  const cli = fileURLToPath(new URL("../cli.js", import.meta.url));
  const argv = [cli, "--foreground", "--daemonized"];
  if (args.backend) argv.push("--backend", args.backend);
  if (args.ipvsadm) argv.push("--ipvsadm", args.ipvsadm);
  if (args.checkWorkers !== undefined) argv.push("--check-workers", String(args.checkWorkers));
  argv.push(configPath, "start");
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    cwd: "/",
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  return new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      say(
        `ldirector did not report ready within ${startWaitMs / 1000} s; it keeps starting in the background`,
      );
      detach();
      resolve(1);
    }, startWaitMs);
    const detach = () => {
      clearTimeout(timer);
      child.removeAllListeners();
      child.stderr?.destroy();
      if (child.connected) child.disconnect();
      child.unref();
    };
    child.on("message", (m: { ready?: boolean }) => {
      if (!m?.ready) return;
      detach();
      resolve(0);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      process.stderr.write(stderr);
      resolve(code ?? 1);
    });
  });
}
