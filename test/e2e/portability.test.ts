// `ldirector check` says "the file is portable to ldirectord" only when it is: Debian's
// ldirectord is run on every file the check calls portable (it must start), and on
// every file ldirector accepts with a warning that ldirectord refuses it (it must
// refuse: exit 2, "Error ... reading file"). ldirectord runs in an empty network
// namespace (`unshare -n`), so whatever it checks, nothing leaves this machine, and
// writes to the ipvsadm stand-in in its own directory.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, requireBuild, root, standIn } from "./harness.js";

const ldirectord = "/usr/sbin/ldirectord";
const work = mkdtempSync(join(tmpdir(), "portability-"));
const running = new Set<ChildProcess>();

beforeAll(() => {
  requireBuild();
  if (!existsSync(ldirectord)) {
    throw new Error("Debian's ldirectord is missing: run scripts/install-test-deps.sh (package ldirectord)");
  }
});
afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

const head = ["checkinterval=1", 'logfile="local0"'];
const block = ["virtual=192.168.100.36:80", "    real=192.168.100.211:80 gate", "    checktype=on"];
const file = (...lines: string[]) => `${lines.join("\n")}\n`;
const fixture = (name: string) => readFileSync(join(root, "test/config/fixtures", `${name}.cf`), "utf8");

/** Files `check` must call portable, and ldirectord must start on. */
const portable: Record<string, string> = {
  ...Object.fromEntries(
    ["debian-sample", "dr", "fwmark-persistent", "nat-8080", "schedulers", "tun"].map((n) => [n, fixture(n)]),
  ),
  "scheduler-comment": file(...head, ...block, "    scheduler=lc //comment"),
  "real-dash-w": file(...head, ...block, "    real=192.168.100.212:80 gate -w 3"),
  "real-double-dash-weight": file(...head, ...block, "    real=192.168.100.213:80 gate --weight 4"),
  "virtual-trailing-text": file(...head, "virtual=192.168.100.36:80   \\\\text", ...block.slice(1)),
  "global-fallback": file(...head, "fallback=127.0.0.1:80", ...block),
  "empty-line-after-block": file(...head, ...block, "", "checktimeout=3"),
  "tab-only-line-after-block": file(...head, ...block, "\t", "checktimeout=3"),
};

/** Files ldirector accepts with a warning, that ldirectord refuses. */
const refused: Record<string, string> = {
  "global-fallback-comment": file(...head, "fallback=127.0.0.1:80  #sorry", ...block),
  "whitespace-only-line-in-block": file(...head, ...block, "      ", "    scheduler=lc"),
  "whitespace-only-line-ending-block": file(...head, ...block, "      ", "checktimeout=3"),
  "blank-line-in-block": file(...head, ...block, "", "    scheduler=lc"),
  "comment-after-yes": file(...head, ...block, "    quiescent=yes # c"),
  "comment-after-global-no": file(...head, "autoreload=no # x", ...block),
  "tab-after-no": file(...head, ...block, "    ops=no\t"),
  "fullwidth-space-after-yes": file(...head, ...block, "    quiescent=yes\u3000"),
  "fullwidth-space-after-real": file(...head, ...block, "    real=192.168.100.212:80 gate\u3000"),
  "crlf-yes": file(...head, ...block, "    quiescent=yes").replaceAll("\n", "\r\n"),
  "hash-in-quotes": file(
    ...head,
    "virtual=192.168.100.36:80",
    "    real=192.168.100.211:80 gate",
    "    service=http",
    '    request="/"',
    '    receive="color: #f00"',
  ),
};

/**
 * Files ldirectord starts on that `check` does not call portable: its warning is kept
 * coarse where ldirectord's reading depends on the directive (a fullwidth space after a
 * scheduler is ignored by ldirectord's [a-z]+, after a real= it is refused). The claim is
 * then absent, never false.
 */
const notClaimed: Record<string, string> = {
  "fullwidth-space-after-scheduler": file(...head, ...block, "    scheduler=lc\u3000"),
};

interface Check {
  code: number | null;
  portable: boolean;
  out: string;
}

function check(path: string): Promise<Check> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, "check", path], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({
        code: err === null ? 0 : typeof err.code === "number" ? err.code : null,
        portable: /the file is portable to ldirectord/.test(stdout),
        out: stdout + stderr,
      }),
    );
  });
}

/** "started" once it wrote its first virtual to the stand-in, "refused" when it exits 2 saying why. */
function runLdirectord(
  dir: string,
  cf: string,
): Promise<{ verdict: "started" | "refused" | "other"; log: string }> {
  const state = join(dir, "ipvsadm.state.json");
  const child = spawn("unshare", ["-n", ldirectord, "-d", cf, "start"], {
    cwd: dir,
    env: { ...process.env, IPVSADM_STATE: state },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let log = "";
  child.stdout.on("data", (b: Buffer) => (log += b.toString()));
  child.stderr.on("data", (b: Buffer) => (log += b.toString()));
  return new Promise((resolve) => {
    // Long: each ipvsadm call is a Node stand-in, and ldirectord makes several before its
    // first write; on a loaded machine (the VM suite runs beside this) that took over 30 s.
    const end = Date.now() + 90_000;
    const poll = setInterval(() => {
      const wrote = existsSync(state) && statSync(state).size > 0;
      const exited = child.exitCode !== null;
      if (!wrote && !exited && Date.now() < end) return;
      clearInterval(poll);
      if (!exited) child.kill("SIGKILL");
      const refusedNow = exited && child.exitCode === 2 && /Error \[\d+\] reading file/.test(log);
      resolve({ verdict: wrote && !exited ? "started" : refusedNow ? "refused" : "other", log });
    }, 100);
  });
}

async function both(name: string, text: string) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const cf = join(dir, `${name}.cf`);
  writeFileSync(cf, text);
  symlinkSync(standIn, join(dir, "ipvsadm"));
  const [ours, reference] = await Promise.all([check(cf), runLdirectord(dir, cf)]);
  return { ours, reference };
}

describe.concurrent("ldirector check's portability claim, against ldirectord", () => {
  for (const [name, text] of Object.entries(portable)) {
    it(`called portable, and ldirectord starts: ${name}`, async () => {
      const { ours, reference } = await both(name, text);
      expect(ours.code, ours.out).toBe(0);
      expect(ours.portable, ours.out).toBe(true);
      expect(reference.verdict, reference.log.slice(-2000)).toBe("started");
    }, 120_000);
  }
  for (const [name, text] of Object.entries(notClaimed)) {
    it(`not called portable (a coarse warning), while ldirectord starts: ${name}`, async () => {
      const { ours, reference } = await both(name, text);
      expect(ours.code, ours.out).toBe(0);
      expect(ours.out).toMatch(/\[ldirectord differs\]/);
      expect(ours.portable, ours.out).toBe(false);
      expect(reference.verdict, reference.log.slice(-2000)).toBe("started");
    }, 120_000);
  }
  for (const [name, text] of Object.entries(refused)) {
    it(`accepted with a warning, not called portable, and ldirectord refuses: ${name}`, async () => {
      const { ours, reference } = await both(name, text);
      expect(ours.code, ours.out).toBe(0);
      expect(ours.out).toMatch(/\[ldirectord differs\]/);
      expect(ours.portable, ours.out).toBe(false);
      expect(reference.verdict, reference.log.slice(-2000)).toBe("refused");
    }, 120_000);
  }
});
