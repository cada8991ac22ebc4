#!/usr/bin/env node
// argv → command. Exit codes follow ldirectord (and LSB for status): 0 ok, 1 error or
// "stopped" for reload, 2 config error, 3 not running (status), 255 usage.
import { readFileSync } from "node:fs";
import { type Args, parseArgs, UsageError, usage } from "./args.js";
import { ConfigErrors } from "./config/errors.js";
import { loadConfig, summarize, toPublicModel } from "./config/index.js";
import { checkStateFile } from "./control/check-state.js";
import { readConfig } from "./daemon/read-config.js";
import { validatorFor } from "./daemon/backend-constraints.js";
import { locateConfig } from "./daemon/config-file.js";
import { controlSocketWarning } from "./daemon/control-socket-check.js";
import { lifecycle } from "./daemon/lifecycle.js";
import { formatProbeTable, probeRound } from "./health/round.js";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Prints every error of a bad config, one per line, and returns ldirectord's exit status 2. */
export function reportConfigErrors(err: unknown): number {
  if (err instanceof ConfigErrors) {
    for (const e of err.errors) process.stderr.write(`error: ${e.message}\n`);
    process.stderr.write(`${err.errors.length} error(s); nothing was changed\n`);
    return 2;
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

async function check(args: Args): Promise<number> {
  const file = locateConfig(args.configFile);
  try {
    const { config } = await readConfig(file);
    // `check --backend nftables` also says what that backend would refuse.
    validatorFor(args.backend)?.(config);
    process.stdout.write(
      args.json ? `${JSON.stringify(toPublicModel(config), null, 2)}\n` : summarize(config),
    );
    const socket = await controlSocketWarning(config);
    if (socket) process.stderr.write(`warning: ${socket}\n`);
    const state = await checkStateFile(config);
    for (const w of state.warnings) process.stderr.write(`warning: ${w}\n`);
    if (state.errors.length) {
      for (const e of state.errors) process.stderr.write(`error: ${e}\n`);
      process.stderr.write(
        `the state file has ${state.errors.length} error(s); the daemon would set it aside\n`,
      );
      return 2;
    }
    if (state.summary && !args.json) process.stderr.write(`${state.summary}\n`);
    return 0;
  } catch (err) {
    return reportConfigErrors(err);
  }
}

async function probe(args: Args): Promise<number> {
  const file = locateConfig(args.configFile);
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = (await readConfig(file)).config;
  } catch (err) {
    return reportConfigErrors(err);
  }
  const rows = await probeRound(config);
  process.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatProbeTable(rows)}\n`);
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`ldirector: ${err.message}\n\n${usage}`);
    return 255;
  }
  switch (args.command) {
    case "version":
      process.stdout.write(`ldirector ${version()}\n`);
      return 0;
    case "help":
      process.stdout.write(usage);
      return 0;
    case "check":
      return check(args);
    case "probe":
      return probe(args);
    case "demo": {
      const { runDemo } = await import("./daemon/demo.js");
      return runDemo(args);
    }
    default:
      return lifecycle(args);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line: a stack trace helps no operator.
    const detail = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ldirector: ${detail.split("\n")[0]}\n`);
    process.exitCode = 1;
  },
);
