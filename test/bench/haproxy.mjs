// HAProxy as the yardstick for check cost: Debian's haproxy running health checks only
// (`option httpchk` GET / expecting "ok", like the directors' receive="ok"), every real
// checked each second with a 1-s timeout, the same fall/rise spirit as ldirectord's
// failurecount. Its only listener is a unix socket in the session's temp dir, so it
// serves no traffic and touches no address beyond the reals on loopback.

export const HAPROXY = "/usr/sbin/haproxy";

/**
 * check "connect": a plain TCP check (HAProxy's default without httpchk). It is a half-open
 * probe (SYN, SYN-ACK, then RST: the real never accepts), so the reals cannot count it and
 * run.mjs does not run HAProxy for --check connect; kept for a manual look.
 */
export function haproxyConfigText({ n, base, realAddr, socketPath, check = "negotiate" }) {
  const lines = [
    "# written by test/bench/haproxy.mjs",
    "global",
    // Traffic connections only (checks are not counted in it); HAProxy raises its fd limit
    // to 2 × maxconn + servers, which must stay under the hard limit (20,000 here) at 10,000 reals.
    "  maxconn 1000",
    "defaults",
    "  mode http",
    "  timeout connect 1s",
    "  timeout client 1s",
    "  timeout server 1s",
    "  timeout check 1s",
    "frontend unused",
    `  bind unix@${socketPath}`,
    "  default_backend reals",
    "backend reals",
    ...(check === "connect" ? [] : ["  option httpchk GET /", "  http-check expect string ok"]),
    "  default-server inter 1s fall 1 rise 1 check",
  ];
  for (let i = 0; i < n; i++) lines.push(`  server r${i} ${realAddr}:${base + i}`);
  return `${lines.join("\n")}\n`;
}
