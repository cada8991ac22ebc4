// The bench's reals: ONE process serving a minimal HTTP/1.0 "ok" on N loopback ports
// (127.0.0.1, ports base .. base+N-1), counting requests per real. Plain node:net rather
// than node:http so that the reals cost as little CPU as possible next to the directors
// they are measuring (the machine is shared).
//
//   node test/bench/reals.mjs --n 2000 --base 20000
//
// Control: one JSON command per stdin line, one JSON answer per stdout line, in order:
//   {"op":"counts"}            → {"ok":true,"counts":[…requests per real…],"conns":[…connections…],"t":ms}
//   {"op":"kill","i":5}        → close real 5's listener and its sockets: connects are refused
//   {"op":"hang","i":5}        → keep accepting on real 5 but never answer
//   {"op":"revive","i":5}      → real 5 answers "ok" again
// The first line on stdout is {"ready":true,"n":N,"base":B} once every port listens.
import net from "node:net";
import readline from "node:readline";

const RESPONSE = Buffer.from(
  "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
);
const HEADER_END = Buffer.from("\r\n\r\n");
/** A request head bigger than this is not a check: drop it. */
const MAX_HEAD = 16 * 1024;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const n = arg("n", 10);
const base = arg("base", 20000);
const host = "127.0.0.1";

/** @type {{server: net.Server|undefined, mode: "ok"|"hang"|"dead", count: number, sockets: Set<net.Socket>}[]} */
const reals = Array.from({ length: n }, () => ({
  server: undefined,
  mode: "ok",
  count: 0,
  /** Connections accepted while answering: what a connect check is counted by (it sends nothing). */
  conns: 0,
  sockets: new Set(),
}));

function onConnection(real, socket) {
  real.sockets.add(socket);
  socket.on("close", () => real.sockets.delete(socket));
  socket.on("error", () => {});
  if (real.mode === "hang") return; // accept, read nothing, answer nothing
  real.conns++;
  let head = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    if (real.mode !== "ok") return;
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head.indexOf(HEADER_END) >= 0) {
      real.count++;
      socket.end(RESPONSE);
      head = Buffer.alloc(0);
    } else if (head.length > MAX_HEAD) {
      socket.destroy();
    }
  });
}

function listen(i) {
  const real = reals[i];
  const server = net.createServer({ noDelay: true }, (s) => onConnection(real, s));
  real.server = server;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port: base + i, backlog: 511 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeReal(i) {
  const real = reals[i];
  const server = real.server;
  real.server = undefined;
  for (const s of real.sockets) s.destroy();
  real.sockets.clear();
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

async function handle(cmd) {
  const i = cmd.i;
  if (cmd.op === "counts") return { counts: reals.map((r) => r.count), conns: reals.map((r) => r.conns) };
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`no real ${i}`);
  const real = reals[i];
  switch (cmd.op) {
    case "kill":
      real.mode = "dead";
      await closeReal(i);
      return {};
    case "hang":
      real.mode = "hang";
      // Sockets already open keep being served by their own handler; new ones hang.
      return {};
    case "revive":
      if (real.mode === "dead") await listen(i);
      else for (const s of real.sockets) s.destroy();
      real.mode = "ok";
      return {};
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

async function main() {
  // Listen in slices so a large N does not open thousands of listeners in one tick.
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => listen(i + k)));
  }
  process.stdout.write(`${JSON.stringify({ ready: true, n, base })}\n`);
  const rl = readline.createInterface({ input: process.stdin });
  // One command at a time, answered in order.
  let chain = Promise.resolve();
  rl.on("line", (line) => {
    chain = chain.then(async () => {
      let answer;
      try {
        answer = { ok: true, ...(await handle(JSON.parse(line))), t: Date.now() };
      } catch (e) {
        answer = { ok: false, error: String(e?.message ?? e) };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    });
  });
  rl.on("close", () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`reals: ${e?.stack ?? e}\n`);
  process.exit(1);
});
