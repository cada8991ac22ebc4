#!/usr/bin/env node
// Runs one command in the real-IPVS VM and exits with its status:
//   node test/vm/run.mjs [--timeout SECONDS] -- CMD [ARGS...]
// The command runs as root with the current directory as its cwd (the host's / is the
// guest's /, read-only with a tmpfs on top). Its output is relayed; boot time is printed.
import { bootVm } from "./boot.mjs";

const args = process.argv.slice(2);
const sep = args.indexOf("--");
const opts = sep < 0 ? [] : args.slice(0, sep);
const argv = sep < 0 ? args : args.slice(sep + 1);
const t = opts.indexOf("--timeout");
const timeoutMs = t >= 0 ? Number(opts[t + 1]) * 1000 : 15 * 60_000;
if (argv.length === 0 || !(timeoutMs > 0)) {
  process.stderr.write("usage: node test/vm/run.mjs [--timeout SECONDS] -- CMD [ARGS...]\n");
  process.exit(2);
}
try {
  const r = await bootVm({ argv, timeoutMs, onLine: (l) => process.stdout.write(`${l}\n`) });
  const secs = (ms) => (ms === undefined ? "-" : (ms / 1000).toFixed(1));
  process.stderr.write(
    `vm: boot ${secs(r.bootMs)} s, total ${secs(r.totalMs)} s, exit ${r.status ?? "none"}\n`,
  );
  if (r.error) process.stderr.write(`vm: ${r.error}\n`);
  process.exit(r.status ?? 1);
} catch (e) {
  process.stderr.write(`vm: ${e.message}\n`);
  process.exit(1);
}
