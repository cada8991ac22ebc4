import { existsSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";

/** Where ldirector looks for its config when none is named (the first that exists). */
export const defaultConfigFiles = ["/etc/ldirector/ldirectord.cf", "/etc/ha.d/ldirectord.cf"];

/**
 * The config file to use. ldirectord prefers /etc/ha.d/<name> over a relative name in
 * the current directory, which surprises people running it by hand; ldirector takes the
 * path as given when it exists, and only then tries the system directories.
 */
export function locateConfig(given: string | undefined, exists: (p: string) => boolean = existsSync): string {
  if (given === undefined) {
    return defaultConfigFiles.find(exists) ?? defaultConfigFiles[0]!;
  }
  if (isAbsolute(given) || exists(given)) return resolve(given);
  const name = basename(given);
  for (const dir of ["/etc/ldirector", "/etc/ha.d", "/etc/ha.d/conf"]) {
    const p = `${dir}/${name}`;
    if (exists(p)) return p;
  }
  return resolve(given);
}

/** The name that pid file and control socket are keyed by: the config's basename, as ldirectord. */
export function instanceName(configPath: string): string {
  return basename(configPath);
}

/** /run, or $LDIRECTOR_RUN_DIR (tests, unprivileged trials). */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LDIRECTOR_RUN_DIR || "/run";
}

/** The control socket when the config names none (controlsocket=): in a 0700 directory of its own. */
export function controlSocketPath(configPath: string, dir: string): string {
  return `${dir}/ldirector/ldirector.${instanceName(configPath)}.sock`;
}

/**
 * Where a running daemon records its control socket's path: a reload may move the socket
 * (controlsocket=), and the config file on disk may already name a path not yet in use.
 */
export function controlPointerPath(configPath: string, dir: string): string {
  return `${dir}/ldirector.${instanceName(configPath)}.control`;
}
