// Starts test/bench/reals.mjs and talks to it over its stdin/stdout control channel.
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { spawnTracked, stopTracked } from "./proc.mjs";

const REALS = path.join(path.dirname(fileURLToPath(import.meta.url)), "reals.mjs");

export async function startReals(cleanup, { n, base, readyTimeoutMs = 60000 }) {
  const proc = spawnTracked(cleanup, ["node", REALS, "--n", String(n), "--base", String(base)], {
    stdin: "pipe",
    stdout: "pipe",
  });
  const rl = readline.createInterface({ input: proc.child.stdout });
  const pending = [];
  let ready;
  const readyP = new Promise((resolve, reject) => {
    ready = resolve;
    setTimeout(
      () => reject(new Error(`reals (n=${n}) not ready after ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    ).unref();
    proc.exited.then(() => reject(new Error("reals exited before ready")));
  });
  rl.on("line", (line) => {
    const msg = JSON.parse(line);
    if (msg.ready) return ready(msg);
    pending.shift()?.(msg);
  });
  await readyP;
  const request = (cmd) =>
    new Promise((resolve, reject) => {
      pending.push((msg) => (msg.ok ? resolve(msg) : reject(new Error(`reals: ${msg.error}`))));
      proc.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  return {
    /** Per real: requests answered, or with `connections` the connections accepted (connect checks). */
    counts: async (connections = false) => {
      const msg = await request({ op: "counts" });
      return connections ? msg.conns : msg.counts;
    },
    kill: (i) => request({ op: "kill", i }),
    hang: (i) => request({ op: "hang", i }),
    revive: (i) => request({ op: "revive", i }),
    stop: () => {
      proc.child.stdin.end();
      return stopTracked(proc, 5000);
    },
  };
}
