// Reads the config file for start, reload and the CLI, bounded: a FIFO, a device or a
// file on a hung network mount in place of the config must not block the daemon (or
// `stop` behind it) forever. A non-regular file is refused before a byte is read; a read
// that takes longer than the deadline is abandoned.
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError, ConfigErrors } from "../config/errors.js";
import { loadConfig } from "../config/index.js";
import type { Config } from "../config/types.js";

export const READ_TIMEOUT_MS = 5_000;
/** ldirectord.cf files are kilobytes; anything this big is not one. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface ConfigRead {
  config: Config;
  text: string;
  /** sha256 of the text, so autoreload can tell the applied file from a new save. */
  hash: string;
}

/** The file's text; throws ConfigErrors (line 0) when it is not a regular file or cannot be read in time. */
export async function readConfigText(file: string, timeoutMs = READ_TIMEOUT_MS): Promise<string> {
  const path = resolve(file);
  const refuse = (why: string) =>
    new ConfigErrors([
      new ConfigError({ file: path, line: 0, column: 0 }, `cannot read the config file (${why})`),
    ]);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw refuse((err as NodeJS.ErrnoException).code ?? String(err));
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw refuse("not a regular file");
    if (st.size > MAX_CONFIG_BYTES) throw refuse(`larger than ${MAX_CONFIG_BYTES} bytes`);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(refuse(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([handle.readFile("utf8"), timeout]);
  } catch (err) {
    if (err instanceof ConfigErrors) throw err;
    throw refuse((err as NodeJS.ErrnoException).code ?? String(err));
  } finally {
    clearTimeout(timer);
    void handle.close().catch(() => {});
  }
}

/** Reads (bounded) and loads the config; any failure is a ConfigErrors. */
export async function readConfig(file: string, timeoutMs = READ_TIMEOUT_MS): Promise<ConfigRead> {
  const text = await readConfigText(file, timeoutMs);
  let config: Config;
  try {
    config = await loadConfig(file, { readFile: () => Promise.resolve(text) });
  } catch (err) {
    if (err instanceof ConfigErrors) throw err;
    // The loader should throw nothing else; if it does, it is still a refused file, not a crash.
    const at = { file: resolve(file), line: 0, column: 0 };
    throw new ConfigErrors([new ConfigError(at, `cannot load the config file: ${String(err)}`)]);
  }
  return { config, text, hash: hashText(text) };
}

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
