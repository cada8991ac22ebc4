// Directives valid both globally and in a virtual block (the block value wins). Read
// the same way in both places; inheritance is applied in virtual.ts.

import { type FallbackLine, parseFallback } from "./address.js";
import type { Admitted } from "./admit.js";
import { type Diagnostics, fail, warn } from "./diagnostics.js";
import { defaultText } from "./directives.js";
import type { DirectiveLine } from "./parse.js";
import type { AlertStatus } from "./types.js";
import { readCommand, readNumber, readText, readYesNo } from "./values.js";

export interface CommonSettings {
  checkTimeout?: number;
  negotiateTimeout?: number;
  checkInterval?: number;
  /** Where checkinterval was set (ldirectord ignores it in a block without fork=yes). */
  checkIntervalLine?: DirectiveLine;
  checkCount?: number;
  failureCount?: number;
  fallback?: FallbackLine;
  fallback6?: FallbackLine;
  fallbackCommand?: string;
  quiescent?: boolean;
  emailAlert?: string;
  emailAlertFreq?: number;
  emailAlertStatus?: AlertStatus[];
  smtp?: string;
  cleanStop?: boolean;
  tlsVerify?: boolean;
  tlsCaFile?: string;
}

const INT_MAX = 2147483647;
export const ALL_STATUSES: AlertStatus[] = ["starting", "running", "stopping", "reloading"];

export function readCommon(lines: Map<string, Admitted>, diag: Diagnostics): CommonSettings {
  const s: CommonSettings = {};
  for (const [name, { line: d }] of lines) {
    switch (name) {
      case "checktimeout":
        s.checkTimeout = readNumber(d, diag, 1, INT_MAX);
        break;
      case "negotiatetimeout":
        s.negotiateTimeout = readNumber(d, diag, 1, INT_MAX);
        break;
      case "checkinterval":
        s.checkInterval = readNumber(d, diag, 1, INT_MAX);
        s.checkIntervalLine = d;
        break;
      case "checkcount":
        s.checkCount = readNumber(d, diag, 1, INT_MAX);
        warn(diag, d.location, "checkcount is deprecated (it only sets the ping attempts); see failurecount");
        break;
      case "failurecount":
        s.failureCount = readNumber(d, diag, 1, INT_MAX);
        break;
      case "fallback":
        s.fallback = parseFallback(d, diag);
        break;
      case "fallback6":
        s.fallback6 = parseFallback(d, diag);
        break;
      case "fallbackcommand":
        s.fallbackCommand = readCommand(d, diag);
        break;
      case "quiescent":
        s.quiescent = readYesNo(d, diag);
        break;
      case "emailalert":
        s.emailAlert = readText(d, diag);
        break;
      case "emailalertfreq":
        s.emailAlertFreq = readNumber(d, diag, 0, INT_MAX);
        break;
      case "emailalertstatus":
        s.emailAlertStatus = readAlertStatus(d, diag);
        break;
      case "smtp":
        s.smtp = readSmtp(d, diag);
        break;
      case "cleanstop":
        s.cleanStop = readYesNo(d, diag);
        break;
      case "tlsverify":
        s.tlsVerify = readYesNo(d, diag);
        break;
      case "tlscafile":
        s.tlsCaFile = readText(d, diag);
        break;
    }
  }
  return s;
}

/** emailalertstatus= when the file does not set it: the table's default, read as a file's value is. */
export function defaultAlertStatus(): AlertStatus[] {
  const statuses = alertStatuses(defaultText("emailalertstatus"));
  if (typeof statuses === "string") throw new Error(`emailalertstatus default: ${statuses}`);
  return statuses;
}

function readAlertStatus(d: DirectiveLine, diag: Diagnostics): AlertStatus[] | undefined {
  const statuses = alertStatuses(d.value);
  return typeof statuses === "string" ? fail(diag, d.valueLocation, statuses) : statuses;
}

/** The statuses an emailalertstatus value names, or what is wrong with it. */
function alertStatuses(value: string): AlertStatus[] | string {
  const words = value.split(/\s*,\s*/);
  const known = ["all", "none", ...ALL_STATUSES];
  const bad = words.find((w) => !known.includes(w));
  if (bad !== undefined) {
    return `invalid emailalertstatus "${bad}": write all, none, or a comma list of starting, running, stopping, reloading`;
  }
  if (words.includes("none")) {
    if (words.length > 1) return 'emailalertstatus: "none" cannot be combined with other statuses';
    return [];
  }
  if (words.includes("all")) return [...ALL_STATUSES];
  return ALL_STATUSES.filter((s) => words.includes(s));
}

function readSmtp(d: DirectiveLine, diag: Diagnostics): string | undefined {
  if (/^[0-9A-Za-z._+-]+$/.test(d.value)) return d.value;
  const lead = /^[0-9A-Za-z._+-]+/.exec(d.value);
  return fail(
    diag,
    d.valueLocation,
    `smtp must be a host name or address, e.g. smtp=mail.example.com${lead === null ? "" : ` (ldirectord would read "${lead[0]}")`}`,
  );
}
