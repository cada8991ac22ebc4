// checktype=N (ldirectord's _check_real): negotiate first; after a good negotiate, N connects;
// a failed connect (or negotiate) means the next check is a negotiate. N=0: always
// negotiate. ldirectord keeps this as a `num_connects` counter set to 999999; here the
// "negotiate next" case is a flag instead of a magic number. Pure.

export type CombinedKind = "negotiate" | "connect";

export interface CombinedState {
  /** Set at start and after any failure: the next check must be a negotiate. */
  readonly negotiateNext: boolean;
  /** Good connects since the last good negotiate. */
  readonly connects: number;
}

export function initialCombined(): CombinedState {
  return { negotiateNext: true, connects: 0 };
}

/** Which kind of check comes next, for `connectCount` = N. */
export function combinedKind(state: CombinedState, connectCount: number): CombinedKind {
  return state.negotiateNext || state.connects >= connectCount ? "negotiate" : "connect";
}

/** The schedule after a check of `kind` came back `ok` or not. */
export function afterCombined(state: CombinedState, kind: CombinedKind, ok: boolean): CombinedState {
  if (!ok) return { negotiateNext: true, connects: 0 };
  if (kind === "negotiate") return { negotiateNext: false, connects: 0 };
  return { negotiateNext: false, connects: state.connects + 1 };
}
