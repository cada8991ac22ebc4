// HAProxy as the yardstick for check cost: Debian's haproxy running health checks only
// (`option httpchk` GET / expecting "ok", like the directors' receive="ok"), every real
// checked each second with a 1-s timeout, the same fall/rise spirit as ldirectord's
// failurecount. Its only listener is a unix socket in the session's temp dir, so it
// serves no traffic and touches no address beyond the reals on loopback.

export const HAPROXY = "/usr/sbin/haproxy";

export function haproxyConfigText({ n, base, realAddr, socketPath }) {
  const lines = [
    "# written by test/bench/haproxy.mjs",
    "global",
    `  maxconn ${Math.max(4096, n * 2)}`,
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
    "  option httpchk GET /",
    "  http-check expect string ok",
    "  default-server inter 1s fall 1 rise 1 check",
  ];
  for (let i = 0; i < n; i++) lines.push(`  server r${i} ${realAddr}:${base + i}`);
  return `${lines.join("\n")}\n`;
}
