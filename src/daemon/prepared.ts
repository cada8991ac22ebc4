// A resource made ready for a new config but not yet in use: a bound listener, an
// opened log file, a state file written at its new path. A reload prepares every one
// it needs first; only when all are ready does it commit them (switch over), otherwise
// it aborts them and the running config keeps its own.

export interface Prepared {
  /** Switch to the new resource and let the old one go. Must not fail. */
  commit(): Promise<void>;
  /** Give the new resource up; the old one stays in use. */
  abort(): Promise<void>;
}

/** Nothing to switch: the directive did not change, or it names nothing to prepare. */
export const unchanged: Prepared = { commit: async () => {}, abort: async () => {} };

/** A resource that could not be prepared, with the directive whose value asked for it. */
export class PrepareError extends Error {
  override readonly name = "PrepareError";
  constructor(
    /** "file:line: directive=value: why" */
    message: string,
  ) {
    super(message);
  }
}

/** Prepares each step in turn; on the first failure aborts the ones already prepared and rethrows. */
export async function prepareAll(steps: (() => Promise<Prepared>)[]): Promise<Prepared[]> {
  const done: Prepared[] = [];
  try {
    for (const step of steps) done.push(await step());
  } catch (err) {
    for (const p of done.reverse()) await p.abort().catch(() => {});
    throw err;
  }
  return done;
}

export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.message ?? String(err);
}
