// The scenarios the VM runs on the real kernel: each builds its own Lab (own namespaces,
// so its own IPVS table), drives ldirector through the logging ipvsadm shim, sends real
// packets from the client, and throws on anything wrong. Each returns the figures it
// measured. Timeouts are derived from the check timing, with slack for TCG.
import { writeFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { sleep, until } from "./lab.mjs";
import {
  CHECK_INTERVAL,
  CHECK_TIMEOUT,
  DETECT_S,
  SLACK_S,
  SETTLE_MS,
  RESYNC_S,
  config,
  count,
  dests,
  destKeys,
  addr,
  failed,
  startWith,
  expectEqual,
  download,
  BIG,
  bigFile,
} from "./helpers.mjs";
import { pairScenarios } from "./pair.mjs";

/** An nft ruleset that marks the client's packets to the VIP's `ports` with `mark`. */
function markRule(lab, ports, mark) {
  return [
    "table ip ldvm {",
    "  chain pre {",
    "    type filter hook prerouting priority mangle;",
    `    ip daddr ${lab.vip} tcp dport ${ports} meta mark set ${mark}`,
    "  }",
    "}",
  ].join("\n");
}

/**
 * DR and TUN: the reals hold the VIP themselves and answer the client directly; the
 * table must list them with `listed` (-g, -i) and rr must split 10 requests 5/5.
 */
function directReturn(name, fwd, listed, label, vipOptions = {}) {
  return {
    name,
    flat: true,
    async run(lab) {
      await lab.realsAcceptVip(vipOptions);
      for (const i of [1, 2]) await lab.serve(i);
      await startWith(lab, config(lab, { virtuals: [{ fwd, reals: [[1], [2]] }] }), [
        addr(lab, 1),
        addr(lab, 2),
      ]);
      const d = await dests(lab);
      expectEqual("forwarding", [d[addr(lab, 1)].fwd, d[addr(lab, 2)].fwd], [listed, listed]);
      const bodies = await lab.gets(10);
      expectEqual(`${label} split`, [count(bodies, "real 1"), count(bodies, "real 2")], [5, 5], bodies);
      return { requests: 10 };
    },
  };
}

export const scenarios = [
  {
    name: "NAT: rr splits 10/10 and wrr 1:3 splits 5/15",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      await startWith(
        lab,
        config(lab, {
          virtuals: [
            { reals: [[1], [2]] },
            {
              virtual: `${lab.vip}:81`,
              scheduler: "wrr",
              reals: [
                [1, 1],
                [2, 3],
              ],
            },
          ],
        }),
        [addr(lab, 1), addr(lab, 2)],
      );
      await until(
        "wrr service has both reals",
        async () => (await destKeys(lab, `-t ${lab.vip}:81`)).length === 2,
        SETTLE_MS,
      );
      const rr = await lab.gets(20);
      const wrr = await lab.gets(20, `http://${lab.vip}:81/`);
      expectEqual("rr split", [count(rr, "real 1"), count(rr, "real 2")], [10, 10], rr);
      expectEqual("wrr split", [count(wrr, "real 1"), count(wrr, "real 2")], [5, 15], wrr);
      return { rr: "10/10", wrr: "5/15" };
    },
  },
  directReturn("DR (gate): reals answer the client directly, VIP on their loopback", "gate", "-g", "DR"),
  directReturn("TUN (ipip): reals decapsulate and answer the client directly", "ipip", "-i", "TUN", {
    tunnel: true,
  }),
  {
    name: "failover: a killed real is out within checkinterval+checktimeout, no failed request after",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      await startWith(lab, config(lab, { virtuals: [{ reals: [[1], [2]] }] }), [addr(lab, 1), addr(lab, 2)]);
      const t0 = Date.now();
      await lab.kill(2);
      await until(
        "real 2 out",
        async () => !(addr(lab, 2) in (await dests(lab))),
        (DETECT_S + SLACK_S) * 1000,
      );
      const outS = (Date.now() - t0) / 1000;
      const bodies = await lab.gets(10);
      expectEqual("after failover", failed(bodies), []);
      expectEqual("all on real 1", count(bodies, "real 1"), 10);
      return { outSeconds: outS, boundSeconds: DETECT_S + SLACK_S };
    },
  },
  {
    name: "fallback: all reals dead, the sorry server answers",
    async run(lab) {
      for (const i of [0, 1, 2]) await lab.serve(i);
      await startWith(
        lab,
        config(lab, {
          virtuals: [{ reals: [[1], [2]], lines: [`    fallback=${lab.sorryAddress}:80 masq`] }],
        }),
        [addr(lab, 1), addr(lab, 2)],
      );
      const t0 = Date.now();
      await lab.kill(1);
      await lab.kill(2);
      await until(
        "only the fallback left",
        async () => {
          const keys = Object.keys(await dests(lab));
          return keys.length === 1 && keys[0] === `${lab.sorryAddress}:80`;
        },
        (DETECT_S + SLACK_S) * 1000,
      );
      const fallbackS = (Date.now() - t0) / 1000;
      const bodies = await lab.gets(4);
      expectEqual("answers", bodies, ["sorry", "sorry", "sorry", "sorry"]);
      return { fallbackSeconds: fallbackS };
    },
  },
  {
    name: "recovery: a real returns over the fallback, a request every 200 ms, none fails",
    async run(lab) {
      await lab.serve(0);
      await startWith(
        lab,
        config(lab, { virtuals: [{ reals: [[1]], lines: [`    fallback=${lab.sorryAddress}:80 masq`] }] }),
        [`${lab.sorryAddress}:80`],
      );
      const load = lab.steadyRequests(200);
      await sleep(1000);
      await lab.serve(1);
      await until(
        "real 1 in, fallback out",
        async () => {
          const keys = Object.keys(await dests(lab));
          return keys.length === 1 && keys[0] === addr(lab, 1);
        },
        (DETECT_S + SLACK_S) * 1000,
      );
      await sleep(1500);
      const bodies = await load.stop();
      expectEqual("failed requests", failed(bodies), []);
      if (!bodies.includes("sorry") || bodies.at(-1) !== "real 1")
        throw new Error(`no switch seen: ${bodies.join(", ")}`);
      return { requests: bodies.length };
    },
  },
  {
    name: "restart over a healthy pool: 0 kernel writes, a long download goes on",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i, { files: bigFile() });
      const lines = config(lab, { globals: ["cleanstop=no"], virtuals: [{ reals: [[1], [2]] }] });
      await startWith(lab, lines, [addr(lab, 1), addr(lab, 2)]);
      const dl = download(lab, "big.bin", "600K");
      await sleep(1000);
      await lab.stopDaemon();
      const before = lab.writes().length;
      const logBefore = lab.logLines().length;
      lab.startDaemon();
      // Settled: the new daemon has read the table and run a few checks.
      await until("the new daemon to read the table", () => lab.logLines().length > logBefore, SETTLE_MS);
      await sleep((CHECK_INTERVAL * 3 + CHECK_TIMEOUT) * 1000);
      const written = lab.writes().slice(before);
      expectEqual("kernel writes after the restart", written, []);
      expectEqual("download", await dl, `${BIG} 200`);
      return { writes: 0, downloadBytes: BIG };
    },
  },
  {
    name: "autoreload: a broken edit writes nothing to the kernel",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      const lines = config(lab, { globals: ["autoreload=yes"], virtuals: [{ reals: [[1], [2]] }] });
      await startWith(lab, lines, [addr(lab, 1), addr(lab, 2)]);
      const before = lab.writes().length;
      const table = await lab.ipvsadm("-S", "-n");
      lab.writeConfig([...lines, "    scheduler=nonsense", "bogus=1"]);
      await until(
        "the rejection logged",
        () => /new configuration rejected/.test(lab.daemonOutput),
        SETTLE_MS,
      );
      await sleep((CHECK_INTERVAL * 2 + CHECK_TIMEOUT) * 1000);
      expectEqual("kernel writes after the broken edit", lab.writes().slice(before), []);
      expectEqual("table", await lab.ipvsadm("-S", "-n"), table);
      expectEqual("traffic", failed(await lab.gets(4)), []);
      return { writes: 0 };
    },
  },
  {
    name: "autoreload: an edit adds a real and traffic reaches it",
    reals: 3,
    async run(lab) {
      for (const i of [1, 2, 3]) await lab.serve(i);
      const two = config(lab, { globals: ["autoreload=yes"], virtuals: [{ reals: [[1], [2]] }] });
      await startWith(lab, two, [addr(lab, 1), addr(lab, 2)]);
      lab.writeConfig(config(lab, { globals: ["autoreload=yes"], virtuals: [{ reals: [[1], [2], [3]] }] }));
      await until("real 3 in", async () => addr(lab, 3) in (await dests(lab)), SETTLE_MS);
      const bodies = await lab.gets(9);
      expectEqual(
        "split over three",
        [1, 2, 3].map((i) => count(bodies, `real ${i}`)),
        [3, 3, 3],
      );
      return { requests: 9 };
    },
  },
  {
    name: "quiescent=yes: a failed real stays at weight 0, its established connection keeps flowing",
    async run(lab) {
      const www1 = await lab.serve(1, { files: bigFile() });
      const www2 = await lab.serve(2);
      unlinkSync(join(www2, "check.html")); // real 2 starts failing: weight 0, so the download lands on real 1
      const lines = config(lab, { globals: ["quiescent=yes"], virtuals: [{ reals: [[1], [2]] }] });
      await startWith(lab, lines, [addr(lab, 1), addr(lab, 2)]);
      // (Both matter: a real may sit at weight 0 until its first good check.)
      await until(
        "real 1 at weight 1, real 2 at 0",
        async () => {
          const d = await dests(lab);
          return d[addr(lab, 1)]?.weight === 1 && d[addr(lab, 2)]?.weight === 0;
        },
        SETTLE_MS,
      );
      const dl = download(lab, "big.bin", "600K");
      await sleep(1000);
      writeFileSync(join(www2, "check.html"), "ok\n");
      unlinkSync(join(www1, "check.html"));
      await until(
        "real 1 at weight 0, real 2 at 1",
        async () => {
          const d = await dests(lab);
          return d[addr(lab, 1)]?.weight === 0 && d[addr(lab, 2)]?.weight === 1;
        },
        (DETECT_S * 2 + SLACK_S) * 1000,
      );
      const bodies = await lab.gets(4);
      expectEqual("new connections", bodies, ["real 2", "real 2", "real 2", "real 2"]);
      expectEqual("the download on real 1", await dl, `${BIG} 200`);
      return { downloadBytes: BIG };
    },
  },
  {
    name: "a table edited by hand is repaired within resyncinterval",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      const lines = config(lab, {
        globals: [`resyncinterval=${RESYNC_S}`],
        virtuals: [
          {
            reals: [
              [1, 1],
              [2, 2],
            ],
          },
        ],
      });
      await startWith(lab, lines, [addr(lab, 1), addr(lab, 2)]);
      const t0 = Date.now();
      await lab.ipvsadm("-d", "-t", `${lab.vip}:80`, "-r", addr(lab, 2));
      await lab.ipvsadm("-e", "-t", `${lab.vip}:80`, "-r", addr(lab, 1), "-m", "-w", "9");
      await lab.ipvsadm("-a", "-t", `${lab.vip}:80`, "-r", `${lab.realAddress(7)}:80`, "-m", "-w", "1");
      await until(
        "the table repaired",
        async () => {
          const d = await dests(lab);
          return (
            JSON.stringify(Object.keys(d).sort()) === JSON.stringify([addr(lab, 1), addr(lab, 2)]) &&
            d[addr(lab, 1)].weight === 1 &&
            d[addr(lab, 2)].weight === 2
          );
        },
        (RESYNC_S + SLACK_S) * 1000,
      );
      return { repairedSeconds: (Date.now() - t0) / 1000, resyncinterval: RESYNC_S };
    },
  },
  {
    name: "drain and disable hold across a restart",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      const lines = config(lab, { globals: ["cleanstop=no"], virtuals: [{ reals: [[1], [2]] }] });
      await startWith(lab, lines, [addr(lab, 1), addr(lab, 2)]);
      const virtual = `tcp:${lab.vip}:80`;
      for (const [verb, i] of [
        ["drain", 1],
        ["disable", 2],
      ]) {
        const r = await lab.ldirector(lab.config, verb, virtual, addr(lab, i));
        if (r.code !== 0) throw new Error(`ldirector ${verb}: exit ${r.code}: ${r.stdout}${r.stderr}`);
      }
      const want = async () => {
        const d = await dests(lab);
        return d[addr(lab, 1)]?.weight === 0 && !(addr(lab, 2) in d);
      };
      await until("real 1 drained, real 2 out", want, SETTLE_MS);
      await lab.stopDaemon();
      const logBefore = lab.logLines().length;
      lab.startDaemon();
      await until("the new daemon to read the table", () => lab.logLines().length > logBefore, SETTLE_MS);
      await sleep((CHECK_INTERVAL * 3 + CHECK_TIMEOUT) * 1000);
      if (!(await want())) throw new Error(`after the restart: ${JSON.stringify(await dests(lab))}`);
      return {};
    },
  },
  {
    name: "fwmark: an nft mark on two ports, one virtual service",
    async run(lab) {
      for (const i of [1, 2])
        for (const port of [80, 8080]) await lab.serve(i, { port, body: `real ${i} port ${port}` });
      await lab.nft(markRule(lab, "{ 80, 8080 }", 1));
      await startWith(
        lab,
        config(lab, {
          virtuals: [
            {
              virtual: "1",
              reals: [
                [1, 1, 0],
                [2, 1, 0],
              ],
              lines: ["    checkport=80"],
            },
          ],
        }),
        [`${lab.realAddress(1)}:0`, `${lab.realAddress(2)}:0`],
      );
      const on80 = await lab.gets(4);
      const on8080 = await lab.gets(4, `http://${lab.vip}:8080/`);
      expectEqual("port 80", [...on80].sort(), [
        "real 1 port 80",
        "real 1 port 80",
        "real 2 port 80",
        "real 2 port 80",
      ]);
      expectEqual("port 8080", [...on8080].sort(), [
        "real 1 port 8080",
        "real 1 port 8080",
        "real 2 port 8080",
        "real 2 port 8080",
      ]);
      return { requests: 8 };
    },
  },
  {
    name: "udp: DNS through the VIP to dnsmasq reals, checked with service=dns",
    async run(lab) {
      for (const i of [1, 2]) {
        const child = (await import("node:child_process")).spawn(
          "ip",
          [
            "netns",
            "exec",
            lab.reals[i - 1],
            "dnsmasq",
            "-k",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            `--listen-address=${lab.realAddress(i)}`,
            `--address=/test.example/10.99.0.${i}`,
            `--pid-file=${lab.dir}/dnsmasq${i}.pid`,
            "--user=root",
          ],
          { stdio: "ignore" },
        );
        lab.children.add(child);
      }
      await startWith(
        lab,
        config(lab, {
          virtuals: [
            {
              virtual: `${lab.vip}:53`,
              reals: [
                [1, 1, 53],
                [2, 1, 53],
              ],
              check: false,
              lines: [
                "    protocol=udp",
                "    service=dns",
                '    request="test.example"',
                '    receive="10.99.0"',
              ],
            },
          ],
        }),
        [`${lab.realAddress(1)}:53`, `${lab.realAddress(2)}:53`],
      );
      const answers = [];
      for (let k = 0; k < 4; k++) {
        const out = await lab
          .inNs(lab.client, "busybox", "nslookup", "test.example", lab.vip)
          .catch((e) => e.stdout ?? e.message);
        answers.push(/10\.99\.0\.(\d)/.exec(out)?.[0] ?? `no answer: ${out}`);
      }
      expectEqual("answers", answers.sort(), ["10.99.0.1", "10.99.0.1", "10.99.0.2", "10.99.0.2"]);
      return { queries: 4 };
    },
  },
  {
    name: "sh, dh and persistence with a netmask keep one client on one real",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      await startWith(
        lab,
        config(lab, {
          virtuals: [
            { scheduler: "sh", reals: [[1], [2]] },
            { virtual: `${lab.vip}:81`, scheduler: "dh", reals: [[1], [2]] },
            {
              virtual: `${lab.vip}:82`,
              reals: [[1], [2]],
              lines: ["    persistent=300", "    netmask=255.255.255.0"],
            },
          ],
        }),
        [addr(lab, 1), addr(lab, 2)],
      );
      const t = await lab.table();
      const want = { 80: "-s sh", 81: "-s dh", 82: "-s rr -p 300 -M 255.255.255.0" };
      for (const [port, flags] of Object.entries(want)) {
        const s = t.find((x) => x.service === `-t ${lab.vip}:${port}`);
        if (!s?.line.includes(flags)) throw new Error(`service :${port}: want "${flags}" in ${s?.line}`);
        await until(
          `:${port} has both reals`,
          async () => (await destKeys(lab, `-t ${lab.vip}:${port}`)).length === 2,
          SETTLE_MS,
        );
      }
      const spread = {};
      for (const port of [80, 81, 82]) {
        const bodies = await lab.gets(6, `http://${lab.vip}:${port}/`);
        spread[port] = new Set(bodies).size;
        if (spread[port] !== 1 || failed(bodies).length)
          throw new Error(`:${port} answered ${bodies.join(", ")}`);
      }
      return { realsPerClient: spread };
    },
  },
  {
    name: "a firewall mark >= 2147483648 round-trips (ipvsadm prints it negative)",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      const mark = 3000000000;
      await lab.nft(markRule(lab, "80", mark));
      await startWith(
        lab,
        config(lab, {
          virtuals: [
            {
              virtual: String(mark),
              reals: [
                [1, 1, 0],
                [2, 1, 0],
              ],
              lines: ["    checkport=80"],
            },
          ],
        }),
        [`${lab.realAddress(1)}:0`, `${lab.realAddress(2)}:0`],
      );
      const saved = await lab.ipvsadm("-S", "-n");
      if (!saved.includes(`-A -f ${mark - 2 ** 32} `)) throw new Error(`no negative mark in:\n${saved}`);
      const before = lab.writes().length;
      await sleep((CHECK_INTERVAL * 3 + CHECK_TIMEOUT) * 1000);
      expectEqual("writes once settled", lab.writes().slice(before), []);
      const bodies = await lab.gets(4);
      expectEqual("split", [count(bodies, "real 1"), count(bodies, "real 2")], [2, 2], bodies);
      return { printed: mark - 2 ** 32 };
    },
  },
  {
    name: "Debian's ldirectord on the same config makes the same table",
    async run(lab) {
      for (const i of [1, 2]) await lab.serve(i);
      const lines = config(lab, {
        globals: ["cleanstop=no"],
        virtuals: [
          // A connect check: Debian's ldirectord 1:4.1 marked these reals down after an
          // HTTP 200 from busybox httpd (its negotiate check; not chased here).
          {
            scheduler: "wrr",
            check: false,
            lines: ["    checktype=connect"],
            reals: [
              [1, 1],
              [2, 3],
            ],
          },
          {
            virtual: `${lab.vip}:81`,
            check: false,
            reals: [[1], [2]],
            lines: ["    checktype=connect", "    persistent=60"],
          },
        ],
      });
      const all = [addr(lab, 1), addr(lab, 2)];
      await startWith(lab, lines, all);
      await until(
        ":81 has both reals",
        async () => (await destKeys(lab, `-t ${lab.vip}:81`)).length === 2,
        SETTLE_MS,
      );
      const ours = (await lab.ipvsadm("-S", "-n")).split("\n").filter(Boolean).sort();
      await lab.stopDaemon();
      await lab.ipvsadm("-C");
      const theirs = await lab.ldirectord(
        lines,
        async () => {
          const t = await lab.table();
          return t.length === 2 && t.every((s) => Object.keys(s.dests).length === 2);
        },
        SETTLE_MS,
      );
      expectEqual("tables", theirs.split("\n").filter(Boolean).sort(), ours);
      return { lines: ours.length };
    },
  },
  ...pairScenarios,
];
