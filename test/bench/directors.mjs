// How each director is started on a config, with the same stand-in and the same env.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HAPROXY, haproxyConfigText } from "./haproxy.mjs";
import { spawnTracked } from "./proc.mjs";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const STAND_IN = path.join(REPO, "test/fixtures/ipvsadm");
export const CLI = path.join(REPO, "dist/cli.js");
export const LDIRECTORD = "/usr/sbin/ldirectord";
export const LOOP_DELAY = path.join(REPO, "test/bench/loop-delay.mjs");

/**
 * dir: the session's temp dir (cwd; holds ./ipvsadm for ldirectord -d).
 * Returns the tracked process; its stdout and stderr go to dir/<name>.out.
 * ldirector's event-loop delay goes to loopFile (see loop-delay.mjs); haproxy gets its
 * own config (haproxy.mjs) for the same n reals instead of `cfg`.
 */
export function startDirector(
  cleanup,
  name,
  { dir, cfg, stateFile, logFile, cpuProfDir, heapProfDir, loopFile, haproxy, cli = CLI, args = [] },
) {
  const env = { IPVSADM_STATE: stateFile, IPVSADM_LOG: logFile };
  const out = fs.openSync(path.join(dir, `${name}.out`), "a");
  try {
    // "ldirector-baseline" is another build of ldirector (--baseline), run exactly alike.
    if (name === "ldirector" || name === "ldirector-baseline") {
      const runDir = path.join(dir, "run");
      fs.mkdirSync(runDir, { recursive: true });
      const prof = [
        ...(cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir] : []),
        ...(heapProfDir ? ["--heap-prof", "--heap-prof-dir", heapProfDir] : []),
        ...(loopFile ? ["--import", LOOP_DELAY] : []),
      ];
      return spawnTracked(
        cleanup,
        [
          "node",
          ...prof,
          cli,
          "--foreground",
          "--backend",
          "ipvsadm",
          "--ipvsadm",
          STAND_IN,
          ...args,
          cfg,
          "start",
        ],
        {
          cwd: dir,
          env: {
            ...env,
            LDIRECTOR_RUN_DIR: runDir,
            LDIRECTOR_STATE_DIR: runDir,
            ...(loopFile ? { LDBENCH_LOOP_FILE: loopFile } : {}),
          },
          stdout: out,
        },
      );
    }
    if (name === "haproxy") {
      const file = path.join(dir, "haproxy.cfg");
      fs.writeFileSync(file, haproxyConfigText({ ...haproxy, socketPath: path.join(dir, "haproxy.sock") }));
      // -db: stay in the foreground, so the PID is haproxy's own and stopping it is by PID.
      return spawnTracked(cleanup, [HAPROXY, "-db", "-f", file], { cwd: dir, stdout: out });
    }
    // ldirectord -d runs ./ipvsadm from its working directory.
    const link = path.join(dir, "ipvsadm");
    if (!fs.existsSync(link)) fs.symlinkSync(STAND_IN, link);
    return spawnTracked(cleanup, [LDIRECTORD, "-d", cfg, "start"], { cwd: dir, env, stdout: out });
  } finally {
    fs.closeSync(out);
  }
}
