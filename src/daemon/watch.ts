// autoreload=yes: notice when the config file changes on disk.
//
// The file's directory is watched, filtered to the file's name, not the file itself:
// editors (vim, sed -i, ansible, …) write a new file and rename it over the old one, and
// a watch on the old inode would go quiet after the first such save. Deleting and
// recreating the file is seen the same way. Bursts of events are debounced into one
// call, and a save that leaves the content as it was (touch, :w without edits) is
// dropped by comparing sha256 hashes, as ldirectord compares MD5s.

import { basename, dirname, resolve } from "node:path";
import { watch } from "chokidar";
import { hashText, readConfigText } from "./read-config.js";

export interface WatchOptions {
  debounceMs?: number;
  /** Called when the watcher or onChange fails; the watch goes on. */
  onError?: (err: Error) => void;
  /**
   * The hash (hashText) of the content last applied. When given, a change is reported
   * whenever the file differs from it, not from the last content seen: a save that could
   * not be applied is reported again when saved again.
   */
  applied?: () => string | undefined;
}

export interface ConfigWatch {
  close(): Promise<void>;
}

/**
 * Calls onChange (at most once per debounce window) when the file's content differs
 * from what it was when the watch started or at the last call. Resolves once the
 * watcher is ready, so nothing written after the promise resolves is missed.
 */
export async function watchConfig(
  path: string,
  onChange: () => void,
  options: WatchOptions = {},
): Promise<ConfigWatch> {
  const file = resolve(path);
  const dir = dirname(file);
  const name = basename(file);
  const debounceMs = options.debounceMs ?? 300;

  let lastHash = await hashFile(file);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // Serialises hash checks so two timers never race on lastHash.
  let checking: Promise<void> = Promise.resolve();

  const check = async () => {
    const hash = await hashFile(file);
    // Gone (deleted, or mid-rename): wait for the file to come back.
    if (closed || hash === undefined) return;
    if (options.applied ? hash === options.applied() : hash === lastHash) return;
    lastHash = hash;
    try {
      onChange();
    } catch (err) {
      options.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  };

  const watcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    // Keep the directory itself (chokidar needs it) and only our file inside it.
    ignored: (p: string) => p !== dir && basename(p) !== name,
  });
  watcher.on("all", (_event, p) => {
    if (closed || resolve(p) !== file) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      checking = checking.then(check, check);
    }, debounceMs);
  });
  watcher.on("error", (err) => options.onError?.(err instanceof Error ? err : new Error(String(err))));
  await new Promise<void>((ready) => watcher.once("ready", () => ready()));

  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
      await checking;
    },
  };
}

/** Bounded like every config read: a FIFO in place of the file is "gone", not a hang. */
async function hashFile(path: string): Promise<string | undefined> {
  try {
    return hashText(await readConfigText(path));
  } catch {
    return undefined;
  }
}
