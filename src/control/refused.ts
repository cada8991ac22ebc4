// A control request that cannot be done, and why, in words the control layer owns. The
// API turns the reason into an HTTP status; the CLI into an exit code.

export type RefusalReason =
  /** The request itself is wrong: a missing name, a weight that is no number. */
  | "bad-request"
  /** No such virtual, real or window. */
  | "not-found"
  /** A name that fits several, or a state that forbids it now. */
  | "conflict"
  /** The daemon is starting or stopping. */
  | "unavailable"
  /** It was tried and did not work (the state file could not be written). */
  | "failed";

export class Refused extends Error {
  override readonly name = "Refused";
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}
