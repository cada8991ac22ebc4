// `ldirector check` looks at controlsocket= too: the daemon refuses a path that holds
// anything but a socket, so a file or directory there would only show at start.
import { lstat } from "node:fs/promises";
import type { Config } from "../config/types.js";

export async function controlSocketWarning(config: Config): Promise<string | undefined> {
  const path = config.global.controlSocket;
  if (!path) return undefined;
  const st = await lstat(path).catch(() => undefined);
  if (!st || st.isSocket()) return undefined;
  return `controlsocket=${path} exists and is not a socket: the daemon will refuse to start (it replaces only a socket it made)`;
}
