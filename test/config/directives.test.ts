// One table per directive family: accepted forms, rejected forms (the message names
// the line), defaults, and global → virtual inheritance.
import { describe, expect, it } from "vitest";
import { DIRECTIVES } from "../../src/config/directives.js";
import type { Config, VirtualService } from "../../src/config/types.js";
import { block, errorsOf, FILE, load } from "./helpers.js";

const V = "virtual=192.0.2.1:80";
const R = "real=10.0.0.1:80 gate";
const first = (c: Config): VirtualService => c.virtuals[0]!;

/** [global lines, block lines, what to read, expected] */
type Accept = [string[], string[], (c: Config) => unknown, unknown];

const accepted: Record<string, Accept[]> = {
  checktimeout: [
    [[], [], (c) => first(c).check.checkTimeoutMs, 5000],
    [["checktimeout=7"], [], (c) => first(c).check.checkTimeoutMs, 7000],
    [["checktimeout=7"], ["checktimeout=2"], (c) => first(c).check.checkTimeoutMs, 2000],
    [["negotiatetimeout=9"], [], (c) => first(c).check.checkTimeoutMs, 9000],
    [["checktimeout = 4"], [], (c) => first(c).check.checkTimeoutMs, 4000],
  ],
  negotiatetimeout: [
    [[], [], (c) => first(c).check.negotiateTimeoutMs, 30000],
    [["checktimeout=2"], [], (c) => first(c).check.negotiateTimeoutMs, 2000],
    // A block value of the other kind beats a global value of the same kind (ld_setup).
    [["negotiatetimeout=3"], ["checktimeout=1"], (c) => first(c).check.negotiateTimeoutMs, 1000],
    [["negotiatetimeout=3"], ["checktimeout=1"], (c) => first(c).check.checkTimeoutMs, 1000],
    [["checktimeout=8", "negotiatetimeout=3"], [], (c) => first(c).check.negotiateTimeoutMs, 3000],
  ],
  checkinterval: [
    [[], [], (c) => [c.global.checkInterval, first(c).checkInterval], [10, 10]],
    [["checkinterval=3"], [], (c) => first(c).checkInterval, 3],
    [
      ["checkinterval=3"],
      ["checkinterval=1"],
      (c) => [c.global.checkInterval, first(c).checkInterval],
      [3, 1],
    ],
  ],
  checkcount: [
    [[], [], (c) => first(c).check.checkCount, 1],
    [["checkcount=3"], [], (c) => first(c).check.checkCount, 3],
    [["checkcount=3"], ["checkcount=2"], (c) => first(c).check.checkCount, 2],
  ],
  failurecount: [
    [[], [], (c) => first(c).failureCount, 1],
    [["failurecount=4"], [], (c) => first(c).failureCount, 4],
    [["failurecount=4"], ["failurecount=2"], (c) => first(c).failureCount, 2],
  ],
  quiescent: [
    [[], [], (c) => first(c).quiescent, false],
    [["quiescent=yes"], [], (c) => first(c).quiescent, true],
    [["quiescent=yes"], ["quiescent=no"], (c) => first(c).quiescent, false],
  ],
  cleanstop: [
    [[], [], (c) => first(c).cleanStop, true],
    [["cleanstop=no"], [], (c) => first(c).cleanStop, false],
  ],
  emailalert: [
    [[], [], (c) => first(c).emailAlert, ""],
    [['emailalert="a@x.org, b@x.org"'], [], (c) => first(c).emailAlert, "a@x.org, b@x.org"],
    [["emailalert=a@x.org"], ["emailalert=v@x.org"], (c) => first(c).emailAlert, "v@x.org"],
  ],
  emailalertfreq: [
    [[], [], (c) => first(c).emailAlertFreq, 0],
    [["emailalertfreq=3600"], [], (c) => first(c).emailAlertFreq, 3600],
  ],
  emailalertstatus: [
    [[], [], (c) => first(c).emailAlertStatus, ["starting", "running", "stopping", "reloading"]],
    [["emailalertstatus=none"], [], (c) => first(c).emailAlertStatus, []],
    [["emailalertstatus=running, stopping"], [], (c) => first(c).emailAlertStatus, ["running", "stopping"]],
    [[], ["emailalertstatus=starting"], (c) => first(c).emailAlertStatus, ["starting"]],
  ],
  smtp: [[["smtp=mail.example.com"], [], (c) => first(c).smtp, "mail.example.com"]],
  fallbackcommand: [
    [['fallbackcommand="/usr/local/bin/fb"'], [], (c) => first(c).fallbackCommand, "/usr/local/bin/fb"],
    [["fallbackcommand=/a"], ["fallbackcommand=/b"], (c) => first(c).fallbackCommand, "/b"],
  ],
  fallback: [
    [
      ["fallback=127.0.0.1"],
      [],
      (c) => first(c).fallback && [first(c).fallback!.port, first(c).fallback!.forward],
      [80, "gate"],
    ],
    [["fallback=127.0.0.1:8080 masq"], [], (c) => first(c).fallback!.port, 8080],
    [
      [],
      ["fallback=localhost:http masq"],
      (c) => [first(c).fallback!.address, first(c).fallback!.forward],
      ["127.0.0.1", "masq"],
    ],
  ],
  autoreload: [
    [[], [], (c) => c.global.autoreload, false],
    [["autoreload=yes"], [], (c) => c.global.autoreload, true],
  ],
  callback: [[['callback="/usr/local/bin/cb"'], [], (c) => c.global.callback, "/usr/local/bin/cb"]],
  logfile: [
    [[], [], (c) => c.global.logfile, { kind: "file", path: "/var/log/ldirectord.log" }],
    [['logfile="local0"'], [], (c) => c.global.logfile, { kind: "syslog", facility: "local0" }],
    [['logfile="/var/log/x.log"'], [], (c) => c.global.logfile, { kind: "file", path: "/var/log/x.log" }],
  ],
  execute: [[["execute=a.cf", "execute=b.cf"], [], (c) => c.global.execute, ["a.cf", "b.cf"]]],
  fork: [[["fork=yes"], [], (c) => c.global.fork, true]],
  supervised: [
    [["supervised=yes"], [], (c) => c.global.supervised, true],
    [
      ["supervised"],
      [],
      (c) => [c.global.supervised, c.warnings.some((w) => /bare supervised/.test(w.message))],
      [true, true],
    ],
  ],
  readdquiescent: [[["readdquiescent=yes"], [], (c) => c.global.readdQuiescent, true]],
  emailalertfrom: [[["emailalertfrom=lvs@x.org"], [], (c) => c.global.emailAlertFrom, "lvs@x.org"]],
  maintenancedir: [[["maintenancedir=/var/lib/ld"], [], (c) => c.global.maintenanceDir, "/var/lib/ld"]],
  request: [
    [[], [], (c) => first(c).check.request, "/"],
    [[], ['request="index.html"'], (c) => first(c).check.request, "/index.html"],
    [[], ['request="/a b"'], (c) => first(c).check.request, "/a b"],
  ],
  receive: [
    [[], [], (c) => first(c).check.receive, ""],
    [[], ['receive="color: #f00"'], (c) => first(c).check.receive, "color: #f00"],
  ],
  checktype: [
    [[], [], (c) => first(c).check.type, "negotiate"],
    [[], ["checktype=connect"], (c) => first(c).check.type, "connect"],
    [[], ["checktype=3"], (c) => [first(c).check.type, first(c).check.connectCount], ["combined", 3]],
    [[], ["checktype=0"], (c) => [first(c).check.type, first(c).check.connectCount], ["combined", 0]],
    [[], ["checktype=external", "checkcommand=/bin/check x"], (c) => first(c).check.command, "/bin/check x"],
    [
      [],
      ["checktype=external-perl", 'checkcommand="/etc/ha.d/my check.pl"'],
      (c) => [first(c).check.type, first(c).check.perl, first(c).check.command],
      ["external", true, "/etc/ha.d/my check.pl"],
    ],
    [[], ["checktype=external-perl", "checktype=connect"], (c) => first(c).check.perl, undefined],
  ],
  checkcommand: [
    [[], [], (c) => first(c).check.command, "/bin/true"],
    [
      [],
      ['checkcommand="/usr/local/bin/probe --fast"'],
      (c) => first(c).check.command,
      "/usr/local/bin/probe --fast",
    ],
  ],
  checkport: [
    [[], [], (c) => first(c).reals[0]!.check.port, 80],
    [[], ["checkport=8081"], (c) => first(c).reals[0]!.check.port, 8081],
  ],
  login: [
    [[], ['login="u"', 'passwd="p"', 'database="d"', 'secret="s"'], (c) => first(c).check.database, "d"],
  ],
  scheduler: [
    [[], [], (c) => first(c).scheduler, "wrr"],
    [[], ["scheduler=sh"], (c) => first(c).scheduler, "sh"],
    [
      [],
      ["scheduler=Wlc"],
      (c) => [first(c).scheduler, c.warnings.some((w) => w.ldirectordDiffers && /as lc/.test(w.message))],
      ["wlc", true],
    ],
  ],
  persistent: [
    [[], [], (c) => first(c).persistent, undefined],
    [[], ["persistent=0"], (c) => first(c).persistent, 0],
    [[], ["persistent=600", "netmask=255.255.255.0"], (c) => first(c).netmask, "255.255.255.0"],
  ],
  schedflags: [[[], ["schedflags=sh-fallback,sh-port"], (c) => first(c).schedFlags, "sh-fallback,sh-port"]],
  protocol: [
    [[], [], (c) => first(c).protocol, "tcp"],
    [[], ["protocol=udp"], (c) => first(c).id, "udp:192.0.2.1:80"],
  ],
  ops: [
    [[], [], (c) => first(c).ops, false],
    [[], ["protocol=udp", "ops=yes"], (c) => first(c).ops, true],
  ],
  service: [
    [[], [], (c) => first(c).check.service, "http"],
    [[], ["service=simpletcp"], (c) => first(c).check.service, "simpletcp"],
    [
      [],
      ["service=ftp"],
      (c) => [first(c).check.login, first(c).check.passwd],
      ["anonymous", "ldirectord@director1"],
    ],
    [[], ['login="me"', "service=ftp"], (c) => first(c).check.login, "me"],
    // Order-independent: ldirectord fills only if login was empty when service= was read.
    [[], ["service=sip", 'login="me"'], (c) => first(c).check.login, "me"],
    [[], ["service=sip"], (c) => first(c).check.login, "ldirectord@director1"],
  ],
  httpmethod: [
    [[], [], (c) => first(c).check.httpMethod, "GET"],
    [[], ["httpmethod=head"], (c) => first(c).check.httpMethod, "HEAD"],
  ],
  virtualhost: [
    [[], ["virtualhost=www.example.com"], (c) => first(c).check.virtualHost, "www.example.com"],
    [[], ['virtualhost="www.example.com"'], (c) => first(c).check.virtualHost, "www.example.com"],
  ],
  monitorfile: [[[], ["monitorfile=relative/mon.log"], (c) => first(c).monitorFile, "relative/mon.log"]],
  servicename: [
    [
      [],
      ["servicename=Web Site", "comment=front"],
      (c) => [first(c).serviceName, first(c).comment],
      ["Web Site", "front"],
    ],
  ],
  ipvsadm: [
    [
      ["ipvsadm=/opt/ipvsadm"],
      [],
      (c) => [c.global.ipvsadm, c.extensions.map((e) => e.name)],
      ["/opt/ipvsadm", ["ipvsadm"]],
    ],
  ],
  sorryserver: [
    [
      ["sorryserver=127.0.0.1:8081"],
      [],
      (c) => c.global.sorryServer,
      { address: "127.0.0.1", family: "inet", port: 8081 },
    ],
    [
      ["sorryserver=[::1]:8081"],
      [],
      (c) => c.global.sorryServer,
      { address: "::1", family: "inet6", port: 8081 },
    ],
  ],
  sorrypage: [[["sorrypage=/etc/sorry.html"], [], (c) => c.global.sorryPage, "/etc/sorry.html"]],
  metricsaddress: [
    [[], [], (c) => c.global.metricsAddress, undefined],
    [
      ["metricsaddress=127.0.0.1:9494"],
      [],
      (c) => c.global.metricsAddress,
      { address: "127.0.0.1", family: "inet", port: 9494 },
    ],
    [
      ["metricsaddress=9494"],
      [],
      (c) => c.global.metricsAddress,
      { address: "127.0.0.1", family: "inet", port: 9494 },
    ],
  ],
  metricshost: [
    [[], [], (c) => c.global.metricsHost, undefined],
    [
      ["metricshost=LB1.example.com, lb1 [::1]"],
      [],
      (c) => [c.global.metricsHost, c.extensions.map((e) => e.name)],
      [["lb1.example.com", "lb1", "::1"], ["metricshost"]],
    ],
  ],
  webcontrol: [
    [[], [], (c) => c.global.webControl, false],
    [
      ["webcontrol=yes"],
      [],
      (c) => [c.global.webControl, c.extensions.map((e) => e.name)],
      [true, ["webcontrol"]],
    ],
  ],
  controlsocket: [
    [[], [], (c) => c.global.controlSocket, undefined],
    [["controlsocket=/run/lb/ctl.sock"], [], (c) => c.global.controlSocket, "/run/lb/ctl.sock"],
  ],
  statefile: [
    [[], [], (c) => c.global.stateFile, undefined],
    [["statefile=/var/lib/lb/state.json"], [], (c) => c.global.stateFile, "/var/lib/lb/state.json"],
  ],
  syncdaemon: [
    [[], [], (c) => c.global.sync, undefined],
    [["syncdaemon=no"], [], (c) => c.global.sync, undefined],
    [
      ["syncdaemon=master", "syncinterface=eth1", "syncid=7"],
      [],
      (c) => [
        c.global.sync?.roles,
        c.global.sync?.interface,
        c.global.sync?.syncId,
        c.extensions.map((e) => e.name),
      ],
      [["master"], "eth1", 7, ["syncdaemon", "syncinterface", "syncid"]],
    ],
    [
      ["syncdaemon=backup", "syncinterface=eth1"],
      [],
      (c) => [c.global.sync?.roles, c.global.sync?.syncId],
      [["backup"], 0],
    ],
    [["syncdaemon=both", "syncinterface=bond0.12"], [], (c) => c.global.sync?.roles, ["master", "backup"]],
  ],
  syncinterface: [
    [["syncdaemon=master", "syncinterface=vlan12@eth0"], [], (c) => c.global.sync?.interface, "vlan12@eth0"],
  ],
  syncid: [[["syncdaemon=both", "syncinterface=eth1", "syncid=255"], [], (c) => c.global.sync?.syncId, 255]],
  resyncinterval: [
    [[], [], (c) => c.global.resyncInterval, 30],
    [["resyncinterval=0"], [], (c) => c.global.resyncInterval, 0],
  ],
  tlsverify: [
    [[], [], (c) => first(c).check.tlsVerify, false],
    [["tlsverify=yes"], [], (c) => first(c).reals[0]!.check.tlsVerify, true],
    [["tlsverify=yes"], ["tlsverify=no"], (c) => first(c).check.tlsVerify, false],
  ],
  tlscafile: [
    [
      [],
      ["tlscafile=/etc/ca.pem"],
      (c) => [first(c).check.tlsCaFile, c.extensions.length],
      ["/etc/ca.pem", 1],
    ],
  ],
};

/** [global lines, block lines, expected message part]; the error is on the last line given. */
type Reject = [string[], string[], RegExp];

const rejected: Record<string, Reject[]> = {
  checktimeout: [
    [["checktimeout=0"], [], /checktimeout must be between 1/],
    [["checktimeout=abc4"], [], /ldirectord would read 4/],
    [[], ["checktimeout=5s"], /whole number/],
  ],
  connecttimeout: [
    [["connecttimeout=5"], [], /use negotiatetimeout/],
    [[], ["connecttimeout=5"], /use negotiatetimeout/],
  ],
  timeout: [[["timeout=5"], [], /use checktimeout and negotiatetimeout/]],
  checkinterval: [[["checkinterval=0"], [], /between 1/]],
  failurecount: [[[], ["failurecount=x"], /whole number/]],
  quiescent: [
    [["quiescent=Yes"], [], /yes or no/],
    [[], ["quiescent=true"], /yes or no/],
  ],
  emailalertstatus: [
    [["emailalertstatus=none,running"], [], /"none" cannot be combined/],
    [["emailalertstatus=sometimes"], [], /invalid emailalertstatus "sometimes"/],
  ],
  smtp: [[["smtp=mail:25"], [], /ldirectord would read "mail"/]],
  fallback: [
    [["fallback=127.0.0.1:80 nat"], [], /gate, masq or ipip/],
    [["fallback=[::1]:80"], [], /fallback6/],
    [[], ["fallback6=[::1]:80"], /use fallback= inside a virtual block/],
  ],
  callback: [[["callback=/bin/cb"], [], /callback must be quoted/]],
  logfile: [
    [["logfile=/var/log/x"], [], /must be quoted/],
    [['logfile="local9"'], [], /syslog facility/],
  ],
  supervised: [[["supervised=1"], [], /yes or no/]],
  globalOnly: [
    [[], ["autoreload=yes"], /autoreload is a global directive: move it out of the virtual block/],
    [[], ["fork=yes"], /global directive/],
  ],
  virtualOnly: [
    [["scheduler=rr"], [], /scheduler belongs inside a virtual block/],
    [["real=10.0.0.2:80 gate"], [], /belongs inside a virtual block/],
  ],
  request: [
    [[], ['request=""'], /must not be empty/],
    [[], ["request=/index.html"], /request must be quoted/],
  ],
  receive: [
    [[], ['receive="O(K"'], /receive is not a valid regular expression/],
    [[], ['receive=""'], /must not be empty/],
  ],
  checktype: [
    [[], ["checktype=negotiate2"], /ldirectord would read it as checktype=2/],
    [[], ["checktype=http"], /checktype must be/],
  ],
  checkport: [
    [[], ["checkport=0"], /between 1 and 65535/],
    [[], ["checkport=65536"], /between 1 and 65535/],
  ],
  passwd: [[[], ["passwd=hunter2"], /passwd must be quoted: write passwd="..."/]],
  scheduler: [
    [[], ["scheduler=fastest"], /unknown scheduler "fastest"/],
    [[], ["scheduler=WRR x"], /unknown scheduler/],
  ],
  netmask: [
    [[], ["persistent=1", "netmask=24"], /dotted IPv4 mask/],
    [[], ["persistent=1", "netmask=255.255.255.0 x"], /dotted IPv4 mask/],
  ],
  schedflags: [[[], ["schedflags=a;b"], /comma list/]],
  protocol: [
    [[], ["protocol=fwm"], /tcp or udp/],
    [[], ["protocol=sctp"], /tcp or udp/],
  ],
  ops: [[[], ["ops=1"], /yes or no/]],
  service: [
    [[], ["service=oracle"], /service=oracle is not supported by ldirector \(no Oracle client library\)/],
    [[], ["service=gopher"], /unknown service "gopher"/],
  ],
  httpmethod: [[[], ["httpmethod=POST"], /GET or HEAD/]],
  checkcommand: [
    [[], ["checktype=external", "checkcommand=/bin/check 'open"], /unterminated '; close the quote/],
  ],
  fallbackcommand: [[['fallbackcommand=/bin/fb "x'], [], /fallbackcommand: unterminated "/]],
  unknown: [
    [["chektimeout=3"], [], /unknown directive "chektimeout"; did you mean checktimeout=\?/],
    [[], ['recieve="x"'], /did you mean receive=/],
  ],
  sorryserver: [[["sorryserver=localhost:80"], [], /numeric address and port/]],
  metricsaddress: [
    [["metricsaddress=localhost:9494"], [], /metricsaddress must be a numeric address and port/],
    [["metricsaddress=99999"], [], /"99999" is not an address/],
    [["metricsaddress=127.0.0.1:0"], [], /port must be between 1 and 65535/],
  ],
  metricshost: [[["metricshost=http://lb1/"], [], /metricshost takes host names/]],
  tlsverify: [[["tlsverify=on"], [], /yes or no/]],
  resyncinterval: [[["resyncinterval=-1"], [], /whole number/]],
  syncdaemon: [
    [["syncinterface=eth1", "syncdaemon=yes"], [], /syncdaemon is master, backup, both, no/],
    [["syncdaemon=master"], [], /syncdaemon=master needs syncinterface=IF/],
  ],
  syncinterface: [
    [["syncinterface=eth1"], [], /syncinterface without syncdaemon=master, backup or both/],
    [["syncdaemon=master", "syncinterface=eth1 eth2"], [], /syncinterface must be an interface name/],
  ],
  syncid: [
    [["syncdaemon=master", "syncinterface=eth1", "syncid=256"], [], /syncid must be between 0 and 255/],
    [["syncdaemon=no", "syncid=3"], [], /syncid without syncdaemon/],
  ],
  webcontrol: [[["webcontrol=on"], [], /yes or no/]],
  controlsocket: [[["controlsocket=ctl.sock"], [], /controlsocket must be an absolute path/]],
  statefile: [[["statefile="], [], /statefile needs a value/]],
};

function file(globals: string[], body: string[]): string {
  return globals.join("\n") + (globals.length ? "\n" : "") + block(V, R, ...body);
}

describe("accepted forms, defaults and inheritance", () => {
  for (const [name, cases] of Object.entries(accepted)) {
    it.each(cases.map((c, i) => [i, ...c] as const))(
      `${name} #%i`,
      async (_i, globals, body, read, expected) => {
        const config = await load(file(globals, body));
        expect(read(config)).toEqual(expected);
      },
    );
  }
});

describe("rejected forms name the line", () => {
  for (const [name, cases] of Object.entries(rejected)) {
    it.each(cases.map((c, i) => [i, ...c] as const))(`${name} #%i`, async (_i, globals, body, pattern) => {
      const text = file(globals, body);
      const errors = await errorsOf(text);
      const line = body.length > 0 ? globals.length + 2 + body.length : globals.length;
      const hit = errors.find((e) => pattern.test(e));
      expect(hit, errors.join("\n")).toBeDefined();
      expect(hit).toMatch(new RegExp(`^${FILE}:${line}:\\d+: `));
    });
  }
});

describe("the directive table", () => {
  it("declares every directive once, with extensions marked", () => {
    const names = DIRECTIVES.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(DIRECTIVES.filter((d) => d.extension).map((d) => d.name)).toEqual([
      "ipvsadm",
      "sorryserver",
      "sorrypage",
      "metricsaddress",
      "metricshost",
      "resyncinterval",
      "webcontrol",
      "controlsocket",
      "statefile",
      "tlsverify",
      "tlscafile",
      "syncdaemon",
      "syncinterface",
      "syncid",
    ]);
  });

  it("has an accepted or rejected test for every directive", () => {
    const covered = new Set([
      ...Object.keys(accepted),
      ...Object.keys(rejected),
      "virtual",
      "virtual6",
      "real",
      "real6",
      "fallback6",
      "database",
      "secret",
      "load",
      "comment",
    ]);
    expect(DIRECTIVES.map((d) => d.name).filter((n) => !covered.has(n))).toEqual([]);
  });
});
