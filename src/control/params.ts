// The operands of the verbs (verbs.ts): how each is named in a JSON body and on the CLI,
// and how a value from either is read and checked.
import { MAX_WEIGHT } from "./override.js";
import { Refused } from "./refused.js";
import { ROLES } from "./role.js";

export interface Param {
  /** The JSON field. */
  name: string;
  /** The CLI placeholder in usage lines. */
  word: string;
  /** The value from a JSON body or a CLI word; throws Refused("bad-request"). */
  read(value: unknown): string | number;
}

function text(name: string): (v: unknown) => string {
  return (v) => {
    if (typeof v !== "string" || v === "") throw new Refused("bad-request", `${name} is missing`);
    return v;
  };
}

function integer(name: string, max: number): (v: unknown) => number {
  return (v) => {
    // CLI words are strings; a JSON body may carry a number.
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) {
      throw new Refused(
        "bad-request",
        `${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(v)}`,
      );
    }
    return n;
  };
}

/** A virtual as `ldirector status` names it, or a short form naming one. */
export const VIRTUAL: Param = { name: "virtual", word: "VIRTUAL", read: text("virtual") };
/** `address:port`, or the address alone when it names one real of the virtual. */
export const REAL: Param = { name: "real", word: "REAL", read: text("real") };
/** A dest weight, as ipvsadm accepts it. */
export const WEIGHT: Param = { name: "weight", word: "N", read: integer("weight", MAX_WEIGHT) };

function oneOf(name: string, words: readonly string[]): (v: unknown) => string {
  return (v) => {
    if (typeof v !== "string" || !words.includes(v)) {
      throw new Refused("bad-request", `${name} is ${words.join(" or ")}, not ${JSON.stringify(v ?? "")}`);
    }
    return v;
  };
}

/** A real as REAL is, or "all": every real of the virtual. */
export const REALS: Param = { name: "real", word: "REAL|all", read: text("real") };
/** What a maintenance window does while open. */
export const WINDOW_MODE: Param = {
  name: "mode",
  word: "drain|disable",
  read: oneOf("the mode", ["drain", "disable"]),
};
/** Five cron fields (or six, seconds first), optionally led by TZ=Area/City. */
export const CRON: Param = { name: "cron", word: '"[TZ=Zone] CRON"', read: text("cron") };
/** 90m, 2h, 1h30m, 1d. */
export const DURATION: Param = { name: "duration", word: "DURATION", read: text("duration") };
/** What VRRP says this director is (control/role.ts). */
export const ROLE: Param = {
  name: "role",
  word: ROLES.join("|"),
  read: oneOf("the role", ROLES),
};
/** A window's number, as `schedule list` shows it. */
export const WINDOW_ID: Param = {
  name: "id",
  word: "ID",
  read: integer("the window id", Number.MAX_SAFE_INTEGER),
};
