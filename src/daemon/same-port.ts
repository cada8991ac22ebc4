// Moving a listener to another address on the port it already holds (0.0.0.0:9000 →
// 127.0.0.1:9000, or back): the kernel refuses the new bind while the old socket listens,
// so the usual "bind the new one, then switch" cannot be prepared in full. What can be
// proven beforehand is proven (the new address is the host's: a bind to port 0 there);
// the switch then closes the old listener first and binds the new one, and binds the old
// one again should that fail, so the daemon is never left without either.
import { createServer } from "node:net";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/types.js";
import type { Prepared } from "./prepared.js";

export interface Closable {
  close(): Promise<void>;
}

export interface Held<T extends Closable> {
  at: ListenAddress;
  server: T;
}

/** Whether a failed bind at `want` is only our own `old` listener holding its port. */
export function heldByOurOwn(
  err: unknown,
  old: { at: ListenAddress } | undefined,
  want: ListenAddress,
): boolean {
  return (
    (err as NodeJS.ErrnoException)?.code === "EADDRINUSE" && old !== undefined && old.at.port === want.port
  );
}

/** Throws (EADDRNOTAVAIL) unless `address` is one this host can listen on. */
export async function proveAddress(address: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, address, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * The Prepared of a same-port move: `start` binds at an address; `set` records what now
 * listens (the new listener, or the old address rebound when the new bind lost a race).
 */
export function handOver<T extends Closable>(opts: {
  old: Held<T>;
  want: ListenAddress;
  start: (at: ListenAddress) => Promise<T>;
  set: (held: Held<T> | undefined) => void;
  log: Logger;
  what: string;
}): Prepared {
  const { old, want, start, set, log, what } = opts;
  return {
    commit: async () => {
      await old.server.close();
      set(undefined);
      try {
        set({ at: want, server: await start(want) });
        log.info({ from: old.at, to: want }, `${what} moved on its port`);
      } catch (err) {
        log.error({ at: want, err: String(err) }, `${what} could not move; listening where it was`);
        try {
          set({ at: old.at, server: await start(old.at) });
        } catch (again) {
          log.error(
            { at: old.at, err: String(again) },
            `${what} is not listening: its old address is taken too`,
          );
        }
      }
    },
    abort: async () => {},
  };
}
