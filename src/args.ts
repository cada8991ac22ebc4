// ldirectord's command line, plus ldirector's own commands and options:
//   ldirector [-d] [--foreground] [--backend B] [--ipvsadm PATH] [--json] [configfile] COMMAND
//   ldirector -t [configfile]          (same as `check`)
//   ldirector -v | --version | -h | --help
// Options come before the config file and the command, as with ldirectord's
// Getopt (require_order); `--` ends them.
import { type Verb, type VerbName, verbs, verbUsage } from "./control/verbs.js";

export const lifecycleCommands = [
  "start",
  "stop",
  "restart",
  "try-restart",
  "reload",
  "force-reload",
  "status",
] as const;
export const ownCommands = ["check", "probe", "demo"] as const;
export type Command =
  (typeof lifecycleCommands)[number] | (typeof ownCommands)[number] | VerbName | "version" | "help";

export type BackendName = "ipvsadm" | "nftables" | "memory";

export interface Args {
  command: Command;
  /** As given on the command line; undefined = the default search. */
  configFile?: string;
  /** -d: foreground, readable logs. */
  debug: boolean;
  /** --foreground: stay attached (systemd, supervisors) with JSON logs. */
  foreground: boolean;
  backend?: BackendName;
  ipvsadm?: string;
  /** --check-workers: worker threads for checks (default auto: by the config's check rate). */
  checkWorkers?: number | "auto";
  json: boolean;
  /** demo: run one failover cycle and exit (for tests and CI). */
  once: boolean;
  /** Internal: this process is the detached child of `start`; log to logfile=, report readiness over IPC. */
  daemonized: boolean;
  /** For a verb of the control table (drain, weight, …): its operands by param name, as typed. */
  params?: Record<string, string>;
}

/** A command line ldirector cannot act on; exit status 255 like ldirectord's pod2usage(-1). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const commands = new Set<string>([...lifecycleCommands, ...ownCommands]);

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    command: "help",
    debug: false,
    foreground: false,
    json: false,
    once: false,
    daemonized: false,
  };
  let testConfig = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      rest.push(a);
      continue;
    }
    const [name, inline] = a.startsWith("--") && a.includes("=") ? a.split(/=(.*)/s, 2) : [a, undefined];
    const take = (n: string): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${n} needs a value`);
      return v;
    };
    switch (name) {
      case "-d":
      case "--debug":
        args.debug = true;
        break;
      case "--foreground":
        args.foreground = true;
        break;
      case "--json":
        args.json = true;
        break;
      case "--once":
        args.once = true;
        break;
      case "--daemonized":
        args.daemonized = true;
        break;
      case "-t":
        testConfig = true;
        break;
      case "-v":
      case "--version":
        return { ...args, command: "version" };
      case "-h":
      case "-?":
      case "--help":
        return { ...args, command: "help" };
      case "--backend": {
        const b = take("--backend");
        if (b !== "ipvsadm" && b !== "nftables" && b !== "memory") {
          throw new UsageError(`--backend must be ipvsadm, nftables or memory, not "${b}"`);
        }
        args.backend = b;
        break;
      }
      case "--ipvsadm":
        args.ipvsadm = take("--ipvsadm");
        break;
      case "--check-workers": {
        const w = take("--check-workers");
        if (w !== "auto" && !/^\d{1,3}$/.test(w)) {
          throw new UsageError(`--check-workers must be auto or a number of threads, not "${w}"`);
        }
        args.checkWorkers = w === "auto" ? "auto" : Number(w);
        break;
      }
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  if (testConfig) {
    if (rest.length > 1) throw new UsageError("-t takes at most a config file");
    return { ...args, command: "check", configFile: rest[0] };
  }
  if (rest.length === 0) throw new UsageError("no command given");
  const verb = findVerb(rest);
  if (verb) {
    const { v, at } = verb;
    const operands = rest.slice(at + v.words.length);
    if (at > 1 || operands.length !== v.params.length) {
      throw new UsageError(`usage: ldirector [configfile] ${verbUsage(v)}`);
    }
    const params = Object.fromEntries(v.params.map((p, i) => [p.name, operands[i]!]));
    return { ...args, command: v.name as VerbName, ...(at === 1 ? { configFile: rest[0] } : {}), params };
  }
  if (rest.length > 2) throw new UsageError(`too many arguments: ${rest.join(" ")}`);
  // ldirectord's order is `[configfile] command`; `check FILE` and `probe FILE` read
  // naturally the other way round, so a command first is accepted too.
  const last = rest[rest.length - 1]!;
  const [command, file] =
    rest.length === 2 && !commands.has(last) && commands.has(rest[0]!) ? [rest[0]!, last] : [last, rest[0]];
  if (!commands.has(command)) throw new UsageError(`unknown command "${command}"`);
  args.command = command as Command;
  if (rest.length === 2) args.configFile = file;
  return args;
}

/** The first verb of the control table whose words appear in the arguments, and where. */
function findVerb(rest: readonly string[]): { v: Verb; at: number } | undefined {
  for (let at = 0; at < rest.length; at++) {
    const v = (verbs as readonly Verb[]).find((x) => x.words.every((w, i) => rest[at + i] === w));
    if (v) return { v, at };
  }
  return undefined;
}

// A long usage line gets its help on the next line, in the same column.
const verbHelp = (verbs as readonly Verb[])
  .map((v) => {
    const line = verbUsage(v);
    return line.length > 28 ? `  ${line}\n${" ".repeat(31)}${v.help}` : `  ${line.padEnd(28)} ${v.help}`;
  })
  .join("\n");

export const usage = `Usage: ldirector [options] [configfile] command

Commands (as ldirectord):
  start | stop | restart | try-restart | reload | force-reload | status
Commands of ldirector:
  check      validate the config file and print what it means (also: -t [configfile])
  probe      run every check in the config file once and print the results
  demo       run the built-in demo: local reals, the memory backend, a failover
Runtime actions on a running daemon (kept across restarts in its state file):
${verbHelp}
  (VIRTUAL as status prints it, e.g. tcp:10.0.0.1:80; REAL as 10.0.0.2:80)

Options:
  -d, --debug        stay in the foreground, readable logs
  --foreground       stay in the foreground, JSON logs (systemd, supervisors)
  --backend B        ipvsadm (default), nftables or memory
  --ipvsadm PATH     the ipvsadm binary (default /sbin/ipvsadm, then /usr/sbin/ipvsadm)
  --check-workers N  threads that run the checks: auto (default: none below 400 checks/s,
                     then one per 1,500 checks/s up to one per core), or 0 (all on the main thread)
  --json             machine-readable output for check, probe, status and the runtime actions
  --once             demo: one failover cycle, then exit
  -v, --version      print the version
  -h, --help         print this help

Config file: as given, else /etc/ldirector/ldirectord.cf, then /etc/ha.d/ldirectord.cf.
`;
