// What a load collects besides the model: every error (a load reports them all at
// once), warnings, and the extension directives used. One instance per load.
import { ConfigError } from "./errors.js";
import type { ConfigWarning, SourceLocation } from "./types.js";

export interface Diagnostics {
  errors: ConfigError[];
  warnings: ConfigWarning[];
  extensions: { name: string; location: SourceLocation }[];
}

export function newDiagnostics(): Diagnostics {
  return { errors: [], warnings: [], extensions: [] };
}

export function fail(diag: Diagnostics, location: SourceLocation, message: string): undefined {
  diag.errors.push(new ConfigError(location, message));
  return undefined;
}

export function warn(
  diag: Diagnostics,
  location: SourceLocation,
  message: string,
  ldirectordDiffers = false,
): void {
  diag.warnings.push(ldirectordDiffers ? { location, message, ldirectordDiffers } : { location, message });
}

/** Orders messages by position so a reader can walk the file top to bottom. */
export function byPosition(a: { location: SourceLocation }, b: { location: SourceLocation }): number {
  return a.location.line - b.location.line || a.location.column - b.location.column;
}
