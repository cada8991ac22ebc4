// The one-screen summary `ldirector check` prints for a valid file: each virtual
// service with its reals and check, then warnings (file:line:col), then the
// extensions that make the file no longer portable to ldirectord. Never shows secrets.
import type { CheckSpec, Config, RealServer, VirtualService } from "./types.js";

const MAX_REALS_SHOWN = 8;

export function summarize(config: Config): string {
  const reals = config.virtuals.reduce((n, v) => n + v.reals.length, 0);
  const out = [
    `${config.file}: ${plural(config.virtuals.length, "virtual service")}, ${plural(reals, "real server")}`,
  ];
  for (const v of config.virtuals) out.push("", ...virtualLines(v));
  if (config.warnings.length > 0) {
    out.push("", `${plural(config.warnings.length, "warning")}:`);
    for (const w of config.warnings) {
      const { file, line, column } = w.location;
      out.push(
        `  ${file}:${line}:${column}: ${w.message}${w.ldirectordDiffers ? " [ldirectord differs]" : ""}`,
      );
    }
  }
  if (config.extensions.length > 0) {
    const names = [...new Set(config.extensions.map((e) => e.name))];
    const where = names.map((n) => {
      const lines = config.extensions.filter((e) => e.name === n).map((e) => e.location.line);
      return `${n}= (line ${lines.join(", ")})`;
    });
    out.push("", `extensions used, not portable to ldirectord: ${where.join(", ")}`);
  }
  const differs = new Set(config.warnings.filter((w) => w.ldirectordDiffers).map((w) => w.location.line))
    .size;
  if (differs > 0) {
    out.push(
      "",
      `not portable to ldirectord as written: it rejects or misreads ${plural(differs, "line")} marked [ldirectord differs]`,
    );
  } else if (config.extensions.length === 0) {
    // Claimed only when nothing above says otherwise: test/e2e/portability.test.ts runs
    // ldirectord on files this calls portable, and on files it does not.
    out.push("", "no extensions used: the file is portable to ldirectord");
  }
  return `${out.join("\n")}\n`;
}

function virtualLines(v: VirtualService): string[] {
  const head = [v.id, v.scheduler];
  if (v.persistent !== undefined)
    head.push(`persistent ${v.persistent}s${v.netmask ? ` netmask ${v.netmask}` : ""}`);
  if (v.schedFlags !== undefined) head.push(`flags ${v.schedFlags}`);
  if (v.ops) head.push("ops");
  if (v.quiescent) head.push("quiescent");
  head.push(`(line ${v.location.line})`);
  const lines = [head.join("  ")];
  if (v.serviceName !== undefined) lines.push(`  name: ${v.serviceName}`);
  lines.push(
    `  check: ${describeCheck(v.check)}; every ${v.checkInterval}s, down after ${plural(v.failureCount, "failure")}`,
  );
  if (v.reals.length === 0) lines.push("  no real servers");
  for (const r of v.reals.slice(0, MAX_REALS_SHOWN)) lines.push(`  real ${realLine(r)}`);
  if (v.reals.length > MAX_REALS_SHOWN) lines.push(`  … and ${v.reals.length - MAX_REALS_SHOWN} more reals`);
  if (v.fallback !== undefined) {
    lines.push(
      `  fallback ${hostPort(v.fallback.address, v.fallback.family, v.fallback.port)} ${v.fallback.forward}`,
    );
  }
  return lines;
}

function realLine(r: RealServer): string {
  const parts = [hostPort(r.address, r.family, r.port), r.forward, `weight ${r.weight}`];
  if (r.lowerThreshold > 0) parts.push(`l:${r.lowerThreshold}`);
  if (r.upperThreshold > 0) parts.push(`u:${r.upperThreshold}`);
  if (r.request !== undefined)
    parts.push(`check ${JSON.stringify(r.request)} ~ ${JSON.stringify(r.receive ?? "")}`);
  if (r.check.port !== r.port) parts.push(`checked on port ${r.check.port}`);
  return parts.join("  ");
}

function describeCheck(c: CheckSpec): string {
  switch (c.type) {
    case "on":
      return "none (always up)";
    case "off":
      return "none (never activated)";
    case "connect":
      return `connect, timeout ${c.checkTimeoutMs / 1000}s`;
    case "ping":
      return `ping ×${c.checkCount}, timeout ${c.checkTimeoutMs / 1000}s`;
    case "external":
      return `${c.perl ? "external-perl" : "external"} ${c.command}, timeout ${c.checkTimeoutMs / 1000}s`;
    default: {
      const kind = c.type === "combined" ? `negotiate then ${c.connectCount} connects` : "negotiate";
      const what = [`${kind} ${c.service}`];
      if (c.service === "http" || c.service === "https" || c.service === "http_proxy") {
        what.push(`${c.httpMethod} ${c.request}`);
      } else if (c.request !== "/") {
        what.push(c.request);
      }
      if (c.receive !== "") what.push(`expect /${c.receive}/`);
      if (c.virtualHost !== undefined) what.push(`Host ${c.virtualHost}`);
      if (c.port > 0) what.push(`port ${c.port}`);
      what.push(`timeout ${c.negotiateTimeoutMs / 1000}s`);
      return what.join(", ");
    }
  }
}

function hostPort(address: string, family: string, port: number): string {
  return family === "inet6" ? `[${address}]:${port}` : `${address}:${port}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
