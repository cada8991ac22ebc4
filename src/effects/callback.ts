// callback= as ldirectord runs it: `<callback> <config path>` after the config file
// changed on disk, and only when the callback is an executable file (ldirectord tests
// -x and silently skips otherwise). The callback is one path, not a command line.

import { access, constants, stat } from "node:fs/promises";

/** The argv to run, or undefined when the callback is not an executable file. */
export async function callbackArgv(callback: string, configPath: string): Promise<string[] | undefined> {
  try {
    await access(callback, constants.X_OK);
    // X_OK is true for directories (search permission); a directory is not a callback.
    if (!(await stat(callback)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return [callback, configPath];
}
