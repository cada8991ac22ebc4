// The one ldirectord.cf both directors read, and a stand-in table that already holds
// every real (a "restart over a healthy pool").
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

export const VIP = "192.0.2.1";
export const VPORT = 80;
export const REAL_ADDR = "127.0.0.1";

/** weights: optional Map index → weight (default 1). */
/** check: "negotiate" (HTTP GET / expecting "ok"), "connect" (a TCP connect, nothing sent) or "external" (external-check.sh). */
export function configText({
  n,
  base,
  autoreload = false,
  logfile,
  weights = new Map(),
  check = "negotiate",
}) {
  const lines = [
    "# written by test/bench/configs.mjs",
    "checkinterval=1",
    "checktimeout=1",
    "negotiatetimeout=1",
    "quiescent=no",
    `autoreload=${autoreload ? "yes" : "no"}`,
    `logfile="${logfile}"`,
    "",
    `virtual=${VIP}:${VPORT}`,
  ];
  for (let i = 0; i < n; i++) lines.push(`\treal=${REAL_ADDR}:${base + i} masq ${weights.get(i) ?? 1}`);
  lines.push(
    "\tservice=http",
    '\trequest="/"',
    '\treceive="ok"',
    "\tscheduler=wlc",
    "\tprotocol=tcp",
    `\tchecktype=${check}`,
    ...(check === "external" ? [`\tcheckcommand="${EXTERNAL_CHECK}"`] : []),
  );
  return `${lines.join("\n")}\n`;
}

/** The program an external check runs (see the script). */
const EXTERNAL_CHECK = fileURLToPath(new URL("./external-check.sh", import.meta.url));

/** Atomic save, as an editor would: write a temp file, then rename it over the config. */
export function saveConfig(file, text) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Fills the stand-in's table with the virtual and all n reals at weight 1, in one exec. */
export function prepopulate({ standIn, stateFile, n, base }) {
  const lines = [`-A -t ${VIP}:${VPORT} -s wlc`];
  for (let i = 0; i < n; i++) lines.push(`-a -t ${VIP}:${VPORT} -r ${REAL_ADDR}:${base + i} -m -w 1`);
  const res = spawnSync(standIn, ["-R"], {
    input: `${lines.join("\n")}\n`,
    env: { ...process.env, IPVSADM_STATE: stateFile, IPVSADM_LOG: "" },
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`prepopulate failed: ${res.stderr}`);
}
