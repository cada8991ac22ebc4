import type { SourceLocation } from "./types.js";

/** One problem in a config file, with where it is and what to write instead. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly location: SourceLocation,
    readonly detail: string,
  ) {
    super(`${location.file}:${location.line}:${location.column}: ${detail}`);
  }
}

/** Every error found in one file: loading reports them all at once, not the first only. */
export class ConfigErrors extends Error {
  override readonly name = "ConfigErrors";
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join("\n"));
  }
}
