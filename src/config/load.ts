// Directives → Config. Global directives apply wherever they appear in the file (as in
// ldirectord, whose globals are read before any virtual is set up), so they are read
// first; then each block in file order. Every error of the file is collected and
// thrown at once as ConfigErrors; nothing else is thrown for bad input.
import { readFile as fsReadFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { resolve as resolvePath } from "node:path";
import { parseHostPort } from "./address.js";
import { admit, lastByName } from "./admit.js";
import { type CommonSettings, readCommon } from "./common.js";
import { byPosition, type Diagnostics, fail, newDiagnostics, warn } from "./diagnostics.js";
import { defaultNumber, defaultText, defaultYesNo, findDirective, SYSLOG_FACILITIES } from "./directives.js";
import { ConfigError, ConfigErrors } from "./errors.js";
import type { DirectiveLine } from "./parse.js";
import { parseLines } from "./parse.js";
import { type NameResolver, readServices, type ServicesDb, systemResolver } from "./resolve.js";
import type { Config, GlobalSettings, ListenAddress, LogTarget, SyncSettings } from "./types.js";
import { readNumber, readQuoted, readText, readYesNo } from "./values.js";
import { readVirtual } from "./virtual.js";

export interface LoadOptions {
  /** Host names → addresses. Default: the system resolver (hosts database, then DNS). */
  resolver?: NameResolver;
  /** Reads the config file. Default: fs.readFile as UTF-8. */
  readFile?: (p: string) => Promise<string>;
  /** The services database for port names. Default: /etc/services, read once per load. */
  services?: ServicesDb;
  /** For the ftp/sip default logins (ldirectord@<hostname>). Default: $HOSTNAME, else os.hostname(). */
  hostname?: string;
}

export const defaultConfigPaths = ["/etc/ldirector/ldirectord.cf", "/etc/ha.d/ldirectord.cf"];

export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<Config> {
  const path = resolvePath(file);
  const read = opts.readFile ?? ((p: string) => fsReadFile(p, "utf8"));
  let text: string;
  try {
    text = await read(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigErrors([
      new ConfigError({ file: path, line: 0, column: 0 }, `cannot read the config file (${code})`),
    ]);
  }
  return parseConfigText(text, path, opts);
}

export async function parseConfigText(text: string, file: string, opts: LoadOptions = {}): Promise<Config> {
  const diag = newDiagnostics();
  const parsed = parseLines(text, file);
  diag.errors.push(...parsed.errors);
  diag.warnings.push(...parsed.warnings);
  const services = opts.services ?? (await readServices());
  const globalLines = lastByName(admit(parsed.globals, "global", diag), diag);
  const common = readCommon(globalLines, diag);
  const global = readGlobals(globalLines, parsed.globals, common, diag);

  const ctx = {
    diag,
    resolver: opts.resolver ?? systemResolver,
    services,
    hostname: opts.hostname ?? process.env.HOSTNAME ?? osHostname(),
    global: common,
    fork: global.fork,
  };
  const virtuals: Config["virtuals"] = [];
  const seen = new Map<string, number>();
  for (const block of parsed.blocks) {
    const body = admit(block.body, "virtual", diag);
    if (!block.header.hasEquals) {
      fail(diag, block.header.location, `expected ${block.header.name}=address:port`);
      continue;
    }
    const v = await readVirtual(block.header, body, ctx);
    if (v === undefined) continue;
    const first = seen.get(v.id);
    if (first !== undefined) {
      fail(
        diag,
        v.location,
        `duplicate virtual service ${v.id}: the same service is already defined on line ${first}`,
      );
      continue;
    }
    seen.set(v.id, v.location.line);
    virtuals.push(v);
  }
  if (global.sorryServer !== undefined) {
    const clash = virtuals.find(
      (v) => v.address === global.sorryServer!.address && v.port === global.sorryServer!.port,
    );
    if (clash !== undefined) {
      warn(diag, clash.location, `sorryserver= listens on ${clash.id}'s own address and port`);
    }
  }

  if (diag.errors.length > 0) throw new ConfigErrors(unique(diag.errors).sort(byPosition));
  return {
    file,
    global,
    virtuals,
    warnings: diag.warnings.sort(byPosition),
    extensions: diag.extensions.sort(byPosition),
  };
}

/** A global value applied per virtual (a bad global fallback) is reported once. */
function unique(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.message) && seen.add(e.message) !== undefined);
}

function readGlobals(
  lines: ReturnType<typeof lastByName>,
  all: DirectiveLine[],
  common: CommonSettings,
  diag: Diagnostics,
): GlobalSettings {
  const g: GlobalSettings = {
    // checkinterval is one of the directives a block may override: read once, in common.ts.
    checkInterval: common.checkInterval ?? defaultNumber("checkinterval"),
    autoreload: defaultYesNo("autoreload"),
    logfile: { kind: "file", path: defaultText("logfile") },
    execute: [],
    fork: defaultYesNo("fork"),
    supervised: defaultYesNo("supervised"),
    readdQuiescent: defaultYesNo("readdquiescent"),
    resyncInterval: defaultNumber("resyncinterval"),
    webControl: defaultYesNo("webcontrol"),
  };
  for (const [name, { line: d, spec }] of lines) {
    switch (name) {
      case "autoreload":
        g.autoreload = readYesNo(d, diag) ?? g.autoreload;
        break;
      case "callback": {
        const v = readQuoted(d, spec, diag);
        if (v !== undefined) g.callback = v;
        break;
      }
      case "logfile": {
        const v = readQuoted(d, spec, diag);
        if (v !== undefined) g.logfile = readLogTarget(v, d, diag) ?? g.logfile;
        break;
      }
      case "fork":
        g.fork = readYesNo(d, diag) ?? g.fork;
        break;
      case "supervised":
        if (!d.hasEquals) {
          g.supervised = true;
          warn(diag, d.location, "a bare supervised is deprecated: write supervised=yes");
        } else {
          g.supervised = readYesNo(d, diag) ?? g.supervised;
        }
        break;
      case "readdquiescent":
        g.readdQuiescent = readYesNo(d, diag) ?? g.readdQuiescent;
        break;
      case "emailalertfrom":
      case "maintenancedir": {
        if (d.value === "") {
          fail(diag, d.valueLocation, `${name} needs a value`);
          break;
        }
        if (name === "emailalertfrom") g.emailAlertFrom = d.value;
        else g.maintenanceDir = d.value;
        break;
      }
      case "ipvsadm": {
        const v = readText(d, diag);
        if (v !== undefined) g.ipvsadm = v;
        break;
      }
      case "sorrypage": {
        const v = readText(d, diag);
        if (v !== undefined) g.sorryPage = v;
        break;
      }
      case "sorryserver": {
        const v = readListenAddress(d, diag);
        if (v !== undefined) g.sorryServer = v;
        break;
      }
      case "metricsaddress": {
        const v = readListenAddress(d, diag);
        if (v !== undefined) g.metricsAddress = v;
        break;
      }
      case "metricshost": {
        const names = d.value
          .toLowerCase()
          .split(/[\s,]+/)
          .filter(Boolean);
        const bad = names.find((n) => !/^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.:-]*[a-z0-9])?)$/.test(n));
        if (names.length === 0 || bad !== undefined) {
          fail(
            diag,
            d.valueLocation,
            `metricshost takes host names the status page is reached by, e.g. metricshost=lb1.example.com,lb1${bad ? ` (not a host name: ${bad})` : ""}`,
          );
          break;
        }
        g.metricsHost = names.map((n) => n.replace(/^\[|\]$/g, ""));
        break;
      }
      case "resyncinterval":
        g.resyncInterval = readNumber(d, diag, 0, 2147483647) ?? g.resyncInterval;
        break;
      case "webcontrol":
        g.webControl = readYesNo(d, diag) ?? g.webControl;
        break;
      case "controlsocket":
      case "statefile": {
        const v = readText(d, diag);
        if (v === undefined) break;
        if (!v.startsWith("/")) {
          fail(
            diag,
            d.valueLocation,
            `${name} must be an absolute path, e.g. ${name}=/run/ldirector/web.sock`,
          );
          break;
        }
        if (name === "controlsocket") g.controlSocket = v;
        else g.stateFile = v;
        break;
      }
    }
  }
  const sync = readSync(lines, diag);
  if (sync) g.sync = sync;
  for (const d of all) {
    if (d.name !== "execute" || findDirective(d.name) === undefined) continue;
    if (d.value === "")
      fail(diag, d.valueLocation, "execute needs a config file name, e.g. execute=other.cf");
    else g.execute.push(d.value);
  }
  return g;
}

const SYNC_WORDS = ["master", "backup", "both", "no"] as const;

/**
 * syncdaemon=master|backup|both|no with syncinterface= and syncid=. The interface has no
 * default (ipvsadm's eth0 is a guess a pair should not rely on); it is required with a
 * daemon and refused without one, so a half-written pair is an error at load.
 */
function readSync(lines: ReturnType<typeof lastByName>, diag: Diagnostics): SyncSettings | undefined {
  const mode = lines.get("syncdaemon")?.line;
  const iface = lines.get("syncinterface")?.line;
  const id = lines.get("syncid")?.line;
  const word = mode?.value ?? defaultText("syncdaemon");
  if (mode && !(SYNC_WORDS as readonly string[]).includes(word)) {
    return fail(
      diag,
      mode.valueLocation,
      `syncdaemon is ${SYNC_WORDS.join(", ")}, not ${JSON.stringify(word)}`,
    );
  }
  const syncId = id ? readNumber(id, diag, 0, 255) : defaultNumber("syncid");
  if (!mode || word === "no") {
    // syncid=0 written out is the default, harmless; any other value is a half-written pair.
    const stray = iface ?? (syncId !== defaultNumber("syncid") ? id : undefined);
    if (stray)
      fail(diag, stray.location, `${stray.name} without syncdaemon=master, backup or both has no effect`);
    return undefined;
  }
  if (!iface || iface.value === "") {
    return fail(
      diag,
      mode.valueLocation,
      `syncdaemon=${word} needs syncinterface=IF, the interface the pair shares`,
    );
  }
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(iface.value)) {
    return fail(
      diag,
      iface.valueLocation,
      `syncinterface must be an interface name (up to 15 characters), not ${JSON.stringify(iface.value)}`,
    );
  }
  if (syncId === undefined) return undefined;
  const roles: SyncSettings["roles"] = word === "both" ? ["master", "backup"] : [word as "master" | "backup"];
  return { roles, interface: iface.value, syncId, location: mode.location };
}

function readLogTarget(v: string, d: DirectiveLine, diag: Diagnostics): LogTarget | undefined {
  if (v.startsWith("/")) return { kind: "file", path: v };
  if ((SYSLOG_FACILITIES as readonly string[]).includes(v)) return { kind: "syslog", facility: v };
  return fail(
    diag,
    d.valueLocation,
    `logfile must be an absolute file path ("/var/log/ldirectord.log") or a syslog facility (${SYSLOG_FACILITIES.join(", ")})`,
  );
}

/**
 * sorryserver= and metricsaddress=: a numeric address and port that ldirector listens on.
 * metricsaddress= also takes a bare port, meaning loopback: the status page and metrics
 * are opt-in, and reaching them from elsewhere should be a choice written out.
 */
function readListenAddress(d: DirectiveLine, diag: Diagnostics): ListenAddress | undefined {
  if (d.name === "metricsaddress" && /^\d+$/.test(d.value)) {
    const port = Number(d.value);
    if (port >= 1 && port <= 65535) return { address: "127.0.0.1", family: "inet", port };
  }
  const family = d.value.startsWith("[") ? "inet6" : "inet";
  const hp = parseHostPort(d.value, family, d.valueLocation, d.name, diag);
  if (hp === undefined) return undefined;
  if (!hp.host.literal || hp.portText === undefined || !/^\d+$/.test(hp.portText)) {
    return fail(
      diag,
      d.valueLocation,
      `${d.name} must be a numeric address and port, e.g. ${d.name}=127.0.0.1:8080`,
    );
  }
  const port = Number(hp.portText);
  if (port < 1 || port > 65535)
    return fail(diag, d.valueLocation, `${d.name} port must be between 1 and 65535`);
  return { address: hp.host.text, family, port };
}
