// Debian's ldirectord (the Perl daemon) driving the ipvsadm stand-in: the stand-in must
// understand ldirectord's own command stream (it runs ./ipvsadm when started with -d).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterEach, expect, it } from "vitest";
import { parseSave, sortTable } from "../../src/ipvs/ipvsadm-text.js";
import { dest, table, tcp } from "./build.js";

const STAND_IN = resolve("test/fixtures/ipvsadm");
let dir: string | undefined;
let child: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), ms);
    c.once("exit", () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.pid === undefined) return;
  try {
    process.kill(-c.pid, "SIGTERM");
  } catch {
    return;
  }
  if (!(await exited(c, 5000))) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {
      // gone
    }
    await exited(c, 5000);
  }
}

afterEach(async () => {
  if (child) await stop(child);
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it("ldirectord -d runs ./ipvsadm (the stand-in) and gets the table it meant", async () => {
  dir = mkdtempSync(join(tmpdir(), "ldirector-ldirectord-"));
  symlinkSync(STAND_IN, join(dir, "ipvsadm"));
  const [vport, rport, fport] = [await freePort(), await freePort(), await freePort()];
  const cf = join(dir, `ldt-${process.pid}.cf`);
  writeFileSync(
    cf,
    [
      "checktimeout=2",
      "checkinterval=1",
      "quiescent=yes",
      `virtual=127.0.0.1:${vport}`,
      `\treal=127.0.0.1:${rport} masq 2`,
      `\tfallback=127.0.0.1:${fport} masq`,
      "\tservice=http",
      "\tchecktype=connect",
      "\tscheduler=wrr",
      "\tpersistent=300",
      "\tprotocol=tcp",
      "",
    ].join("\n"),
  );
  const logFile = join(dir, "log");
  const env: NodeJS.ProcessEnv = { ...process.env, IPVSADM_LOG: logFile };
  delete env.IPVSADM_STATE; // the stand-in's default: ./ipvsadm.state.json in ldirectord's cwd
  let output = "";
  child = spawn("/usr/sbin/ldirectord", ["-d", cf, "start"], {
    cwd: dir,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });

  // The real never answers (ldirectord's "uninitialized value $fd" warnings are its own EOF bug): ldirectord quiesces it (weight 0) and brings the fallback in.
  const want = sortTable(
    table(
      tcp("127.0.0.1", vport, {
        scheduler: "wrr",
        persistence: 300,
        dests: [dest("127.0.0.1", rport, { weight: 0 }), dest("127.0.0.1", fport, { weight: 1 })],
      }),
    ),
  );
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    seen = execFileSync(join(dir, "ipvsadm"), ["-S", "-n"], { cwd: dir, env, encoding: "utf8" });
    if (isDeepStrictEqual(parseSave(seen), want)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(parseSave(seen), output).toEqual(want);
  expect(JSON.parse(readFileSync(join(dir, "ipvsadm.state.json"), "utf8")).services).toHaveLength(1);

  const calls = readFileSync(logFile, "utf8").split("\n");
  expect(calls).toContain("-L -n");
  expect(calls).toContain("-L -n --thresholds");
  expect(calls).toContain(`-A -t 127.0.0.1:${vport} -s wrr -p 300`);
  expect(calls).toContain(`-a -t 127.0.0.1:${vport} -x 0 -y 0 -r 127.0.0.1:${rport} -m -w 2`);
  expect(calls).toContain(`-e -t 127.0.0.1:${vport} -r 127.0.0.1:${rport} -m -w 0`);

  // On TERM, ldirectord purges its virtual service.
  await stop(child);
  expect(readFileSync(logFile, "utf8")).toContain(`-D -t 127.0.0.1:${vport}\n`);
  expect(execFileSync(join(dir, "ipvsadm"), ["-S", "-n"], { cwd: dir, env, encoding: "utf8" })).toBe("");
});
