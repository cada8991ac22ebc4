import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config, VirtualService } from "../../src/config/types.js";
import { Alerts, alertSubject, parseSmtp, virtualText } from "../../src/effects/alerts.js";

interface Received {
  from: string;
  to: string[];
  headers: Record<string, string>;
  body: string;
}

let server: SMTPServer;
let port: number;
let inbox: Received[];
let refuse = false;

function parse(raw: string, from: string, to: string[]): Received {
  const [head = "", ...rest] = raw.split("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join("\r\n\r\n");
  // nodemailer picks quoted-printable when a line is longer than 76 characters.
  if (headers["content-transfer-encoding"] === "quoted-printable") {
    body = body
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return { from, to, headers, body: body.replace(/\r\n/g, "\n") };
}

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onMailFrom(_address, _session, cb) {
      cb(refuse ? Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const env = session.envelope;
        inbox.push(
          parse(
            Buffer.concat(chunks).toString(),
            env.mailFrom ? env.mailFrom.address : "",
            env.rcptTo.map((r) => r.address),
          ),
        );
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(r));
});

function virtual(fields: Partial<VirtualService> = {}): VirtualService {
  return {
    id: "tcp:10.0.0.1:80",
    family: "inet",
    protocol: "tcp",
    address: "10.0.0.1",
    port: 80,
    reals: [],
    emailAlert: "ops@example.org, oncall@example.org",
    emailAlertFreq: 0,
    emailAlertStatus: ["starting", "running", "stopping", "reloading"],
    smtp: `127.0.0.1:${port}`,
    ...fields,
  } as VirtualService;
}

function config(virtuals: VirtualService[], emailAlertFrom?: string): Config {
  return {
    file: "/etc/ldirector/t.cf",
    global: { emailAlertFrom },
    virtuals,
    warnings: [],
    extensions: [],
  } as unknown as Config;
}

describe("alert subjects", () => {
  const v = virtual();
  it.each([
    ["quiescent", {}, "Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)"],
    ["deleted", {}, "Deleted real server: 10.0.0.2:80 (10.0.0.1:80)"],
    ["deleted", { fallback: true }, "Deleted fallback server: 10.0.0.2:80 (10.0.0.1:80)"],
    ["restored", { weight: 3 }, "Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 3)"],
    [
      "added",
      { weight: 1, fallback: true },
      "Added fallback server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)",
    ],
    ["purged", { purgeTag: "start" }, "Purged real server (start): 10.0.0.2:80 (10.0.0.1:80)"],
  ] as const)("%s %o", (kind, detail, subject) => {
    expect(alertSubject(kind, v, "10.0.0.2:80", detail)).toBe(subject);
  });

  it("names IPv6 and firewall-mark virtuals as ldirectord's get_virtual does", () => {
    expect(virtualText(virtual({ family: "inet6", address: "2001:db8::1", port: 443 }))).toBe(
      "[2001:db8::1]:443",
    );
    expect(virtualText(virtual({ protocol: "fwm", fwmark: 5, address: undefined, port: 0 }))).toBe("5");
  });

  it("parses smtp= forms", () => {
    expect(parseSmtp("mail.example.org")).toEqual({ host: "mail.example.org", port: 25 });
    expect(parseSmtp("10.0.0.9:2525")).toEqual({ host: "10.0.0.9", port: 2525 });
    expect(parseSmtp("[2001:db8::25]")).toEqual({ host: "2001:db8::25", port: 25 });
    expect(parseSmtp("[2001:db8::25]:587")).toEqual({ host: "2001:db8::25", port: 587 });
  });
});

describe("Alerts over SMTP", () => {
  let clock: number;
  let alerts: Alerts;
  let logs: string[];

  beforeEach(() => {
    inbox = [];
    logs = [];
    refuse = false;
    clock = 1_000_000;
  });
  afterEach(async () => {
    await alerts?.close();
  });

  function make(virtuals: VirtualService[], from?: string): Alerts {
    alerts = new Alerts(config(virtuals, from), {
      now: () => clock,
      hostname: "director1",
      logger: pino({}, { write: (s: string) => logs.push(s) }),
    });
    return alerts;
  }

  it("sends the subject, recipients, From and body", async () => {
    const v = virtual({ serviceName: "web", comment: "front page" });
    const a = make([v], "ldirector@example.org");
    a.event("quiescent", v, "10.0.0.2:80", "running");
    await a.flush();
    expect(inbox).toHaveLength(1);
    const m = inbox[0]!;
    expect(m.to).toEqual(["ops@example.org", "oncall@example.org"]);
    expect(m.from).toBe("ldirector@example.org");
    expect(m.headers.from).toBe("ldirector@example.org");
    expect(m.headers.subject).toBe(
      "[web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)",
    );
    expect(m.body).toBe(
      "ldirector host: director1\n" +
        "Log-Message: [web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)\n" +
        "Daemon-Status: running\n" +
        "\n" +
        "Service name: web\n" +
        "Comment: front page\n",
    );
  });

  it("uses <user>@<hostname> as From when emailalertfrom is not set", async () => {
    const v = virtual({ emailAlert: "ops@example.org" });
    const a = make([v]);
    a.event("added", v, "10.0.0.2:80", "starting", { weight: 2 });
    await a.flush();
    expect(inbox[0]?.from).toMatch(/^[^@]+@director1$/);
    expect(inbox[0]?.headers.subject).toBe("Added real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 2)");
    expect(inbox[0]?.body).toBe(
      "ldirector host: director1\nLog-Message: Added real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 2)\n" +
        "Daemon-Status: starting\n",
    );
  });

  it("sends only in the daemon states emailalertstatus names, and not without recipients", async () => {
    const v = virtual({ emailAlertStatus: ["running"] });
    const nobody = virtual({ id: "tcp:10.0.0.1:81", port: 81, emailAlert: "" });
    const a = make([v, nobody]);
    a.event("deleted", v, "10.0.0.2:80", "starting");
    a.event("deleted", v, "10.0.0.3:80", "stopping");
    a.event("deleted", v, "10.0.0.4:80", "reloading");
    a.event("deleted", nobody, "10.0.0.2:81", "running");
    a.event("deleted", v, "10.0.0.5:80", "running");
    await a.flush();
    expect(inbox.map((m) => m.headers.subject)).toEqual(["Deleted real server: 10.0.0.5:80 (10.0.0.1:80)"]);
  });

  it("reminds every emailalertfreq seconds while a real stays down, and stops when it is restored", async () => {
    const v = virtual({ emailAlertFreq: 60, emailAlert: "ops@example.org" });
    const a = make([v]);
    a.event("deleted", v, "10.0.0.2:80", "running");
    a.tick(clock + 59_000);
    await a.flush();
    expect(inbox).toHaveLength(1);

    clock += 60_000;
    a.tick(clock);
    a.tick(clock + 1_000); // not again right away
    await a.flush();
    expect(inbox.map((m) => m.headers.subject)).toEqual([
      "Deleted real server: 10.0.0.2:80 (10.0.0.1:80)",
      "Inaccessible real server: 10.0.0.2:80 (10.0.0.1:80)",
    ]);

    a.tick(clock + 60_000);
    await a.flush();
    expect(inbox).toHaveLength(3);

    a.event("restored", v, "10.0.0.2:80", "running", { weight: 1 });
    a.tick(clock + 10 * 60_000);
    await a.flush();
    expect(inbox.map((m) => m.headers.subject).slice(3)).toEqual([
      "Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)",
    ]);
  });

  it("never reminds with emailalertfreq=0, nor for the fallback", async () => {
    const off = virtual({ emailAlertFreq: 0 });
    const on = virtual({ id: "tcp:10.0.0.1:81", port: 81, emailAlertFreq: 10 });
    const a = make([off, on]);
    a.event("quiescent", off, "10.0.0.2:80", "running");
    a.event("deleted", on, "127.0.0.1:8099", "running", { fallback: true });
    a.tick(clock + 3_600_000);
    await a.flush();
    expect(inbox.map((m) => m.headers.subject)).toEqual([
      "Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)",
      "Deleted fallback server: 127.0.0.1:8099 (10.0.0.1:81)",
    ]);
  });

  it("drops reminders of virtuals a reload removed", async () => {
    const v = virtual({ emailAlertFreq: 10 });
    const a = make([v]);
    a.event("deleted", v, "10.0.0.2:80", "running");
    a.update(config([]));
    a.tick(clock + 3_600_000);
    await a.flush();
    expect(inbox).toHaveLength(1);
  });

  it("logs a refused or unreachable mail server and carries on", async () => {
    refuse = true;
    const v = virtual();
    const dead = virtual({ id: "tcp:10.0.0.1:81", port: 81, smtp: "127.0.0.1:1" });
    const a = make([v, dead]);
    expect(() => a.event("deleted", v, "10.0.0.2:80", "running")).not.toThrow();
    a.event("deleted", dead, "10.0.0.2:81", "running");
    await a.flush();
    const text = logs.join("");
    expect(text).toContain("emailalert: failed to send");
    expect(text).toMatch(/ECONNREFUSED/);
    expect(inbox).toHaveLength(0);

    refuse = false;
    a.event("added", v, "10.0.0.2:80", "running");
    await a.flush();
    expect(inbox).toHaveLength(1);
  });

  it("hands the mail to sendmail when the virtual has no smtp=", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sendmail-"));
    try {
      const sendmail = join(dir, "sendmail");
      await writeFile(sendmail, `#!/bin/sh\necho "$@" > '${dir}/args'\ncat > '${dir}/mail'\n`);
      await chmod(sendmail, 0o755);
      const v = virtual({ smtp: undefined, emailAlert: "ops@example.org" });
      alerts = new Alerts(config([v], "ld@example.org"), { hostname: "director1", sendmailPath: sendmail });
      alerts.event("deleted", v, "10.0.0.2:80", "running");
      await alerts.flush();
      expect(await readFile(join(dir, "args"), "utf8")).toMatch(/ops@example\.org/);
      const mail = await readFile(join(dir, "mail"), "utf8");
      expect(mail).toMatch(/^Subject: Deleted real server: 10\.0\.0\.2:80 \(10\.0\.0\.1:80\)$/m);
      expect(mail).toMatch(/^From: ld@example\.org$/m);
      expect(mail).toContain("Daemon-Status: running");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
