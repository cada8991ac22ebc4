// The normalized model for `--json`: the Config as plain data, with every secret
// (passwd=, secret=) replaced so it can be printed, logged or shipped anywhere.
import type { Config } from "./types.js";

const SECRET_KEYS = new Set(["passwd", "secret"]);
export const REDACTED = "<redacted>";

export function toPublicModel(config: Config): unknown {
  return redact(config);
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key) && typeof v === "string" && v !== "" ? REDACTED : redact(v);
  }
  return out;
}
