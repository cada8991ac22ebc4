// What the ipvsadm stand-in (test/fixtures/ipvsadm) shows the bench: its log of
// invocations, timestamped as the lines appear, and its table.
import fs from "node:fs";
import { performance } from "node:perf_hooks";

const MUTATING = /^-[AEDaedC](\s|$)/;

/**
 * Tails $IPVSADM_LOG. Each invocation is {t, args, restore: string[]}; t is
 * performance.now() when the bench first saw the line (polled every pollMs).
 */
export class LogWatcher {
  constructor(file, pollMs = 5) {
    this.file = file;
    this.offset = 0;
    this.rest = "";
    /** @type {{t: number, args: string, restore: string[]}[]} */
    this.invocations = [];
    this.waiters = new Set();
    this.fd = undefined;
    this.timer = setInterval(() => this.poll(), pollMs);
  }

  poll() {
    if (this.fd === undefined) {
      try {
        this.fd = fs.openSync(this.file, "r");
      } catch {
        return;
      }
    }
    const size = fs.fstatSync(this.fd).size;
    if (size <= this.offset) return;
    const buf = Buffer.alloc(size - this.offset);
    const got = fs.readSync(this.fd, buf, 0, buf.length, this.offset);
    this.offset += got;
    const t = performance.now();
    const text = this.rest + buf.subarray(0, got).toString("utf8");
    const lines = text.split("\n");
    this.rest = lines.pop();
    for (const line of lines) {
      if (line.startsWith("R ")) {
        const last = this.invocations[this.invocations.length - 1];
        if (last) last.restore.push(line.slice(2));
      } else {
        this.invocations.push({ t, args: line, restore: [] });
      }
    }
    for (const w of this.waiters) w();
  }

  /** Kernel-op lines of an invocation: the -R stdin lines, or the invocation itself if it writes. */
  static ops(inv) {
    // An -R stream also carries ldirector's marker lines (-L --ldirector-mark-i) and the
    // read-back (-S -n, -L -n --thresholds): only the lines that change the table count.
    if (/^-R\b/.test(inv.args)) return inv.restore.filter((l) => MUTATING.test(l));
    return MUTATING.test(inv.args) ? [inv.args] : [];
  }

  static isRead(inv) {
    return /^-L\b|^-l\b|^-S\b|^-Ln\b/.test(inv.args) || /(^| )-L( |$)/.test(inv.args);
  }

  /** The first op line (from invocation index `from`) that satisfies pred, or undefined after timeoutMs. */
  waitForOp(pred, from, timeoutMs) {
    const find = () => {
      for (let i = from; i < this.invocations.length; i++) {
        const inv = this.invocations[i];
        for (const op of LogWatcher.ops(inv)) if (pred(op)) return { inv, index: i, op };
      }
      return undefined;
    };
    return new Promise((resolve) => {
      const hit = find();
      if (hit) return resolve(hit);
      const waiter = () => {
        const h = find();
        if (h) done(h);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (h) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(h);
      };
      this.waiters.add(waiter);
    });
  }

  /** Resolves once no new invocation appeared for quietMs (or after maxMs). */
  async waitQuiet(quietMs, maxMs) {
    const start = performance.now();
    let seen = this.invocations.length;
    let since = performance.now();
    while (performance.now() - start < maxMs) {
      await new Promise((r) => setTimeout(r, 50));
      if (this.invocations.length !== seen) {
        seen = this.invocations.length;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) {
        return { quiet: true, lastAt: since };
      }
    }
    return { quiet: false, lastAt: since };
  }

  close() {
    clearInterval(this.timer);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The dests of one virtual in the stand-in's table: Map "addr:port" → weight. */
export function tableDests(stateFile, vip, vport) {
  let state;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, "utf8"));
  } catch {
    return new Map();
  }
  const out = new Map();
  for (const s of state.services ?? []) {
    if (s.addr !== vip || s.port !== vport) continue;
    for (const d of s.dests ?? []) out.set(`${d.addr}:${d.port}`, d.weight);
  }
  return out;
}

/** Polls the table until pred(dests) holds; returns the elapsed ms, or undefined on timeout. */
export async function waitForTable(stateFile, vip, vport, pred, timeoutMs, pollMs = 50) {
  const start = performance.now();
  let lastMtime = -1;
  while (performance.now() - start < timeoutMs) {
    let mtime = -2;
    try {
      mtime = fs.statSync(stateFile).mtimeMs;
    } catch {
      // not written yet
    }
    if (mtime !== lastMtime) {
      lastMtime = mtime;
      if (pred(tableDests(stateFile, vip, vport))) return performance.now() - start;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return undefined;
}
