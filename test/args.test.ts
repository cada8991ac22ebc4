import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../src/args.js";

describe("parseArgs", () => {
  it("reads ldirectord's order: [configfile] command", () => {
    expect(parseArgs(["/etc/x.cf", "start"])).toMatchObject({ command: "start", configFile: "/etc/x.cf" });
    expect(parseArgs(["stop"]).command).toBe("stop");
    expect(parseArgs(["stop"]).configFile).toBeUndefined();
    expect(parseArgs(["-d", "x.cf", "start"])).toMatchObject({ command: "start", debug: true });
  });

  it("also reads command first for check, probe and demo", () => {
    expect(parseArgs(["check", "etc/ldirectord.cf"])).toMatchObject({
      command: "check",
      configFile: "etc/ldirectord.cf",
    });
    expect(parseArgs(["etc/ldirectord.cf", "check"])).toMatchObject({
      command: "check",
      configFile: "etc/ldirectord.cf",
    });
    expect(parseArgs(["-t", "a.cf"])).toMatchObject({ command: "check", configFile: "a.cf" });
    expect(parseArgs(["-t"]).command).toBe("check");
    expect(parseArgs(["-t"]).configFile).toBeUndefined();
  });

  it("takes options anywhere before --", () => {
    expect(parseArgs(["demo", "--once"])).toMatchObject({ command: "demo", once: true });
    expect(parseArgs(["--backend", "nftables", "check", "a.cf"])).toMatchObject({
      command: "check",
      backend: "nftables",
      configFile: "a.cf",
    });
    expect(parseArgs(["--backend=memory", "a.cf", "start"])).toMatchObject({ backend: "memory" });
    expect(parseArgs(["--check-workers", "2", "a.cf", "start"])).toMatchObject({ checkWorkers: 2 });
    expect(parseArgs(["--check-workers", "auto", "start"])).toMatchObject({ checkWorkers: "auto" });
    expect(parseArgs(["--", "-odd.cf", "status"])).toMatchObject({
      command: "status",
      configFile: "-odd.cf",
    });
  });

  it("answers version and help", () => {
    expect(parseArgs(["-v"]).command).toBe("version");
    expect(parseArgs(["--help"]).command).toBe("help");
  });

  it.each([
    [[], /no command/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["a.cf", "b.cf", "start"], /too many arguments/],
    [["--backend", "lvs", "start"], /ipvsadm, nftables or memory/],
    [["--ipvsadm"], /needs a value/],
    [["--check-workers", "many", "start"], /auto or a number/],
    [["--bogus", "start"], /unknown option --bogus/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseArgs(argv as string[])).toThrow(message);
  });
});

describe("parseArgs: runtime actions", () => {
  it("reads [configfile] drain|disable|enable|recheck VIRTUAL REAL", () => {
    expect(parseArgs(["drain", "tcp:10.0.0.1:80", "10.0.0.2:80"])).toMatchObject({
      command: "drain",
      params: { virtual: "tcp:10.0.0.1:80", real: "10.0.0.2:80" },
    });
    expect(parseArgs(["drain", "tcp:10.0.0.1:80", "10.0.0.2:80"]).configFile).toBeUndefined();
    expect(parseArgs(["--json", "/etc/lb.cf", "recheck", "5", "10.0.0.2"])).toMatchObject({
      command: "recheck",
      configFile: "/etc/lb.cf",
      json: true,
      params: { virtual: "5", real: "10.0.0.2" },
    });
    expect(parseArgs(["a.cf", "enable", "v", "r"]).command).toBe("enable");
    expect(parseArgs(["a.cf", "disable", "v", "r"]).command).toBe("disable");
  });

  it("refuses a missing or extra operand with the usage line", () => {
    expect(() => parseArgs(["drain", "tcp:10.0.0.1:80"])).toThrow(
      /usage: ldirector \[configfile\] drain VIRTUAL REAL/,
    );
    expect(() => parseArgs(["drain", "v", "r", "x"])).toThrow(UsageError);
    expect(() => parseArgs(["a", "b", "drain", "v", "r"])).toThrow(UsageError);
  });
});
