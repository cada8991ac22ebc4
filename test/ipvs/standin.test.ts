// The ipvsadm stand-in itself: formats, errors and exit codes of ipvsadm 1.31.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const STAND_IN = resolve("test/fixtures/ipvsadm");
const TRY = `Try \`${STAND_IN} -h' or '${STAND_IN} --help' for more information.\n`;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ldirector-standin-"));
  env = { ...process.env, IPVSADM_STATE: join(dir, "state.json"), IPVSADM_LOG: join(dir, "log") };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function ipvsadm(args: string[], input = "", extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(STAND_IN, args, { input, env: { ...env, ...extraEnv }, encoding: "utf8", cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function restore(lines: string[]) {
  return ipvsadm(["-R"], `${lines.join("\n")}\n`);
}

const SAMPLE_COMMANDS = [
  "-A -t 192.168.0.111:80 -s wrr",
  "-a -t 192.168.0.111:80 -r 192.168.137.131:80 -m -w 2",
  "-a -t 192.168.0.111:80 -r 192.168.137.130 -m",
  "-A -f 5 -s sh",
  "-a -f 5 -r 127.0.0.2",
  "ipvsadm -A -t [2001:db8::1]:443",
  "-A -u 10.1.2.3:53 -s rr -p 600 -M 255.255.255.0",
];

describe("output formats", () => {
  it("prints -L -n exactly as ipvsadm 1.31 does, sorted, with trailing spaces", () => {
    expect(restore(SAMPLE_COMMANDS).code).toBe(0);
    expect(ipvsadm(["-L", "-n"]).stdout).toBe(
      [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
        "TCP  192.168.0.111:80 wrr",
        "  -> 192.168.137.130:80           Masq    1      0          0         ",
        "  -> 192.168.137.131:80           Masq    2      0          0         ",
        "UDP  10.1.2.3:53 rr persistent 600 mask 255.255.255.0",
        "TCP  [2001:db8::1]:443 wlc",
        "FWM  5 sh",
        "  -> 127.0.0.2:0                  Route   1      0          0         ",
        "",
      ].join("\n"),
    );
  });

  it("prints -S -n in the form -R reads back, and -Ln bundled works too", () => {
    restore(SAMPLE_COMMANDS);
    const saved = ipvsadm(["-S", "-n"]).stdout;
    expect(saved).toBe(
      [
        "-A -t 192.168.0.111:80 -s wrr",
        "-a -t 192.168.0.111:80 -r 192.168.137.130:80 -m -w 1",
        "-a -t 192.168.0.111:80 -r 192.168.137.131:80 -m -w 2",
        "-A -u 10.1.2.3:53 -s rr -p 600 -M 255.255.255.0",
        "-A -t [2001:db8::1]:443 -s wlc",
        "-A -f 5 -s sh",
        "-a -f 5 -r 127.0.0.2:0 -g -w 1",
        "",
      ].join("\n"),
    );
    const listed = ipvsadm(["-Ln"]).stdout;
    expect(ipvsadm(["-C"]).code).toBe(0);
    expect(ipvsadm(["-R"], saved).code).toBe(0);
    expect(ipvsadm(["-S", "-n"]).stdout).toBe(saved);
    expect(ipvsadm(["--list", "--numeric"]).stdout).toBe(listed);
  });

  it("prints ports as /etc/services names without -n, as the real one does, and reads them back", () => {
    restore(SAMPLE_COMMANDS);
    const saved = ipvsadm(["-S", "-n"]).stdout;
    const named = ipvsadm(["-S"]).stdout;
    // http is 80/tcp, https 443/tcp and domain 53/udp in Debian's /etc/services (netbase).
    expect(named).toBe(
      saved
        .replaceAll(":80 ", ":http ")
        .replace(":443 ", ":https ")
        .replace("-u 10.1.2.3:53 ", "-u 10.1.2.3:domain "),
    );
    expect(ipvsadm(["-L"]).stdout).toContain("TCP  192.168.0.111:http wrr\n  -> 192.168.137.130:http");
    expect(ipvsadm(["-C"]).code).toBe(0);
    expect(ipvsadm(["-R"], named)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(ipvsadm(["-S", "-n"]).stdout).toBe(saved);
  });

  it("prints thresholds, flags, ops, pe, IPv6 marks and tunnel types", () => {
    restore([
      "-A -u 10.0.0.1:53 -s sh -b sh-port,sh-fallback -p 60 -M 255.255.0.0 --pe sip -o",
      "-a -u 10.0.0.1:53 -r 10.0.0.2:5353 -i -x 100 -y 10",
      "-A -f 9 -6 -s rr -p -M 64",
      "-a -f 9 -6 -r [2001:db8::2]:0 -m -w 0",
    ]);
    expect(ipvsadm(["-L", "-n"]).stdout.split("\n").slice(3)).toEqual([
      "UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 60 mask 255.255.0.0 pe sip ops",
      "  -> 10.0.0.2:53                  Tunnel  1      0          0         ",
      "FWM  9 IPv6 rr persistent 360 mask 64",
      "  -> [2001:db8::2]:0              Masq    0      0          0         ",
      "",
    ]);
    expect(ipvsadm(["-S", "-n"]).stdout).toBe(
      [
        "-A -u 10.0.0.1:53 -s sh -p 60 -M 255.255.0.0 --pe sip -o -b sh-fallback,sh-port",
        "-a -u 10.0.0.1:53 -r 10.0.0.2:53 -i -w 1 --tun-type ipip",
        "-A -f 9 -6 -s rr -p 360 -M 64",
        "-a -f 9 -6 -r [2001:db8::2]:0 -m -w 0",
        "",
      ].join("\n"),
    );
    expect(ipvsadm(["-L", "-n", "--thresholds"]).stdout).toBe(
      [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
        "  -> RemoteAddress:Port",
        "UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 60 mask 255.255.0.0 pe sip ops",
        "  -> 10.0.0.2:53                  100        10         0          0         ",
        "FWM  9 IPv6 rr persistent 360 mask 64",
        "  -> [2001:db8::2]:0              0          0          0          0         ",
        "",
      ].join("\n"),
    );
  });

  it("lists one service, and says No such service (exit 1) for a missing one", () => {
    restore(SAMPLE_COMMANDS);
    expect(ipvsadm(["-L", "-n", "-f", "5"]).stdout).toBe(
      [
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
        "FWM  5 sh",
        "  -> 127.0.0.2:0                  Route   1      0          0         ",
        "",
      ].join("\n"),
    );
    expect(ipvsadm(["-L", "-n", "-t", "10.9.9.9:1"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "No such service\n",
    });
  });
});

describe("defaults", () => {
  it("wlc, weight 1, -g, 360 s persistence, and the dest port forced for -g/-i but not -m or fwmark", () => {
    restore([
      "-A -t 10.0.0.1:80 -p",
      "-a -t 10.0.0.1:80 -r 10.0.0.2:8080",
      "-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m",
      "-A -f 1",
      "-a -f 1 -r 10.0.0.4:8080",
    ]);
    expect(ipvsadm(["-S", "-n"]).stdout).toBe(
      [
        "-A -t 10.0.0.1:80 -s wlc -p 360",
        "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1",
        "-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 1",
        "-A -f 1 -s wlc",
        "-a -f 1 -r 10.0.0.4:8080 -g -w 1",
        "",
      ].join("\n"),
    );
  });

  it("-E replaces every setting: what it omits falls back to the defaults", () => {
    restore(["-A -t 10.0.0.1:80 -s rr -p 300", "-E -t 10.0.0.1:80"]);
    expect(ipvsadm(["-S", "-n"]).stdout).toBe("-A -t 10.0.0.1:80 -s wlc\n");
  });
});

describe("errors and exit codes", () => {
  it.each([
    [["-A", "-t", "10.0.0.1:80"], 255, "Service already exists\n"],
    [["-E", "-t", "10.0.0.2:80"], 255, "No such service\n"],
    [["-D", "-t", "10.0.0.2:80"], 255, "No such service\n"],
    [["-a", "-t", "10.0.0.2:80", "-r", "10.0.0.5"], 255, "Service not defined\n"],
    [["-a", "-t", "10.0.0.1:80", "-r", "10.0.0.3"], 255, "Destination already exists\n"],
    [["-e", "-t", "10.0.0.1:80", "-r", "10.0.0.4"], 255, "No such destination\n"],
    [["-d", "-t", "10.0.0.1:80", "-r", "10.0.0.4"], 255, "No such destination\n"],
    [["-A", "-t", "10.0.0.1:81", "-s", "nope"], 255, "Scheduler or persistence engine not found\n"],
    [
      ["-a", "-t", "10.0.0.1:80", "-r", "10.0.0.5", "-x", "1", "-y", "2"],
      255,
      "Numerical result out of range\n",
    ],
    [
      ["-a", "-t", "10.0.0.1:80", "-r", "224.0.0.1"],
      255,
      "Invalid operation.  Possibly wrong module version, address not unicast, ...\n",
    ],
    [["-A", "-t", "10.0.0.1:0"], 2, "Zero port specified for non-persistent service\n"],
    [["-A", "-t", "10.0.0.1:82", "-o"], 2, "One-Packet Scheduling is only for UDP virtual services\n"],
    [["-A", "-t", "10.0.0.1:82", "-w", "2"], 2, "Illegal 'weight' option with the 'add-service' command\n"],
    [
      ["-a", "-t", "10.0.0.1:80"],
      2,
      "You need to supply the 'real-server' option for the 'add-server' command\n",
    ],
    // The real ipvsadm takes weights up to INT_MAX (groundtruth.txt, weight-limits).
    [["-a", "-t", "10.0.0.1:80", "-r", "10.0.0.6", "-w", "2147483648"], 2, "illegal weight specified\n"],
    [
      ["-a", "-t", "10.0.0.1:80", "-r", "10.0.0.6", "-m", "-g"],
      2,
      "multiple 'forwarding-method' options specified\n",
    ],
    [
      ["-a", "-t", "10.0.0.1:80", "-r", "[2001:db8::6]:80"],
      2,
      "Different address family is allowed only for tunneling servers\n",
    ],
    [["-A", "-t", "example.com:80"], 2, "illegal virtual server address[:port] specified\n"],
    [["-A", "-f", "0"], 2, "invalid fwmark value `0' specified\n"],
    [["-A", "-t", "10.0.0.1:82", "-p", "0"], 2, "invalid timeout value `0' specified\n"],
    [["-A", "-t", "10.0.0.1:82", "-b", "sh-port"], 2, "incompatible scheduler flag `sh-port'\n"],
    [["-A", "-t", "10.0.0.1:82", "-6"], 2, "-6 used before -f\n\n"],
    [["-A", "-t", "10.0.0.1:82", "-L"], 2, "invalid option `-L'\n"],
    [["-A", "-t", "10.0.0.1:82", "extra"], 2, "unexpected argument extra\n"],
    [["-A", "-t", "10.0.0.1:82", "--bogus"], 255, "--bogus: unknown option\n"],
    [["-A", "-t"], 255, "-t: missing argument\n"],
    [["-t", "10.0.0.1:82", "-A"], 255, TRY],
    [["--bogus"], 255, TRY],
  ])("ipvsadm %j → exit %i, %j", (args, code, stderr) => {
    restore(["-A -t 10.0.0.1:80", "-a -t 10.0.0.1:80 -r 10.0.0.3"]);
    const before = ipvsadm(["-S", "-n"]).stdout;
    expect(ipvsadm(args)).toEqual({ code, stdout: "", stderr });
    expect(ipvsadm(["-S", "-n"]).stdout).toBe(before);
  });

  it("exits 2 with the two lines of a kernel without IPVS, whatever the command", () => {
    for (const args of [["-L", "-n"], ["-h"], ["-R"]]) {
      expect(ipvsadm(args, "", { IPVSADM_NO_KERNEL: "1" })).toEqual({
        code: 2,
        stdout: "",
        stderr:
          "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
      });
    }
  });

  it("answers -h on stdout and -v with the version, exit 0", () => {
    expect(ipvsadm(["-h"])).toMatchObject({ code: 0, stderr: "" });
    expect(ipvsadm(["-v"])).toEqual({
      code: 0,
      stdout: "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n",
      stderr: "",
    });
  });
});

describe("-R", () => {
  it("skips empty lines and 'ipvsadm' words, goes on after kernel errors, exits with the last line's status", () => {
    const ok = restore([
      "",
      "ipvsadm -A -t 10.0.0.1:80",
      "  ",
      "-A -t 10.0.0.1:80",
      "-a -t 10.0.0.1:80 -r 10.0.0.2",
    ]);
    expect(ok).toEqual({ code: 0, stdout: "", stderr: "Service already exists\n" });
    const last = restore(["-a -t 10.0.0.1:80 -r 10.0.0.3", "-a -t 10.0.0.1:80 -r 10.0.0.3"]);
    expect(last).toEqual({ code: 255, stdout: "", stderr: "Destination already exists\n" });
  });

  it("stops at a usage error, leaving the lines before it applied", () => {
    const r = restore([
      "-A -t 10.0.0.1:80",
      "-a -t 10.0.0.1:80 -r 10.0.0.2",
      "-A -t 10.0.0.1:0",
      "-A -t 10.0.0.9:80",
    ]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: "Zero port specified for non-persistent service\n" });
    expect(ipvsadm(["-S", "-n"]).stdout).toBe(
      "-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n",
    );
  });

  it("goes on after an unknown option that is not the first word, and lists in the middle of a batch", () => {
    const r = restore(["-A -t 10.0.0.1:80", "-L --marker-0", "-S -n", "-A -t 10.0.0.2:80"]);
    expect(r).toEqual({
      code: 0,
      stdout: "-A -t 10.0.0.1:80 -s wlc\n",
      stderr: "--marker-0: unknown option\n",
    });
    expect(ipvsadm(["-S", "-n"]).stdout).toBe("-A -t 10.0.0.1:80 -s wlc\n-A -t 10.0.0.2:80 -s wlc\n");
  });

  it("has no comments: config_stream.c never sets its comment flag, so a '#' line is a usage error", () => {
    const r = restore(["-A -t 10.0.0.1:80", "# a comment", "-A -t 10.0.0.2:80"]);
    expect(r).toEqual({ code: 255, stdout: "", stderr: TRY });
    expect(ipvsadm(["-S", "-n"]).stdout).toBe("-A -t 10.0.0.1:80 -s wlc\n");
  });

  it("refuses -R inside -R", () => {
    expect(restore(["-A -t 10.0.0.1:80", "-R"])).toMatchObject({ code: 255, stderr: TRY });
  });

  it("logs each invocation and each stdin line", () => {
    ipvsadm(["-L", "-n"]);
    restore(["-A -t 10.0.0.1:80", "", "-D -t 10.0.0.1:80"]);
    expect(readFileSync(join(dir, "log"), "utf8")).toBe(
      "-L -n\n-R\nR -A -t 10.0.0.1:80\nR \nR -D -t 10.0.0.1:80\n",
    );
  });
});
