// Records ipvsadm cases on the real kernel, in groundtruth.txt's form (see
// test/fixtures/realipvs/cases.ts), to paste into groundtruth.txt:
//   node test/vm/run.mjs -- node test/vm/guest/record-cases.mjs daemon > /tmp/blocks.txt
// Each case runs through run-case.mjs, as its replay will. Sets of cases by name below.
// (The console also carries kernel messages, "[  7.6] IPVS: ...": drop those lines.)
import { execFileSync } from "node:child_process";
import { runCase } from "../../fixtures/realipvs/run-case.mjs";

/** Sync daemon cases (issue 17): lo is the interface, the one every namespace has. */
const daemon = {
  "daemon-none": "-L --daemon\n-L -n --daemon\n",
  "daemon-master":
    "--start-daemon master --mcast-interface lo --syncid 5\n-L --daemon\n-L -n --daemon\n--stop-daemon master\n-L --daemon\n",
  "daemon-backup":
    "--start-daemon backup --mcast-interface lo --syncid 7\n-L --daemon\n--stop-daemon backup\n-L --daemon\n",
  "daemon-both":
    "--start-daemon master --mcast-interface lo --syncid 9\n--start-daemon backup --mcast-interface lo --syncid 9\n-L --daemon\n-L -n --daemon\n--stop-daemon master\n-L --daemon\n--stop-daemon backup\n-L --daemon\n",
  "daemon-already-running":
    "--start-daemon master --mcast-interface lo --syncid 1\n-L --daemon\n--start-daemon master --mcast-interface lo --syncid 2\n",
  "daemon-stop-not-running": "--stop-daemon backup\n-L --daemon\n--stop-daemon master\n",
  "daemon-missing-interface":
    "-A -t 10.0.0.1:80 -s rr\n--start-daemon master --mcast-interface nosuch0 --syncid 1\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m\n-L --daemon\n--start-daemon backup --mcast-interface nosuch0\n",
  "daemon-bad-syncid": "--start-daemon master --mcast-interface lo --syncid 256\n-A -t 10.0.0.1:80 -s rr\n",
  "daemon-bad-state":
    "-A -t 10.0.0.1:80 -s rr\n--start-daemon both --mcast-interface lo\n-A -t 10.0.0.2:80 -s rr\n",
  "daemon-bad-stop": "--stop-daemon both\n",
  "daemon-options":
    "--start-daemon master --mcast-interface lo --syncid 1 --sync-maxlen 1400 --mcast-group 224.0.0.82 --mcast-port 8849 --mcast-ttl 2\n--start-daemon backup --mcast-interface lo\n-L --daemon\n",
  "daemon-in-batch":
    "-A -t 10.0.0.1:80 -s wrr\n-L --ldirector-mark-0\n--start-daemon master --mcast-interface lo --syncid 3\n-L --ldirector-mark-1\n-C\n-L --daemon\n-S -n\n",
};
const sets = { daemon };

const catA = (s) =>
  s
    .split("\n")
    .map((l, i, all) => (i === all.length - 1 ? l : `${l}$`))
    .join("\n")
    .replace(/\t/g, "^I")
    .replace(/\r/g, "^M");

execFileSync("modprobe", ["ip_vs"]);
for (const name of process.argv.slice(2)) {
  for (const [caseName, stdin] of Object.entries(sets[name] ?? {})) {
    const r = runCase("/usr/sbin/ipvsadm", { name: caseName, setup: "", stdin });
    const last = (s) => (s === "" || s.endsWith("\n") ? s : `${s}\n`);
    process.stdout.write(
      `================ ${caseName}\n---- stdin\n${catA(stdin)}${stdin.endsWith("\n") ? "" : "\n"}` +
        `---- stdout\n${last(r.stdout)}---- stderr\n${last(r.stderr)}---- exit status: ${r.exitStatus}\n` +
        `---- ipvsadm -S -n afterwards\n${r.saved}\n`,
    );
  }
}
