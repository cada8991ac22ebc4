// A network namespace the test owns, joined to this one by a veth pair, so checks have
// a real, reachable peer address and a real, silent one without sending anything past
// this machine. Needs root (CI runs as root).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface TestNetns {
  /** The namespace's own address: answers ICMP. */
  peer: string;
  /** An address on the same link that no one holds: ARP goes unanswered, nothing replies. */
  silent: string;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

export function createNetns(): TestNetns {
  const tag = randomBytes(3).toString("hex");
  const name = `ldt-${tag}`;
  const hostIf = `ldt${tag}h`;
  const nsIf = `ldt${tag}n`;
  // 10.254.X.Y/29 with random X and an 8-aligned Y, so parallel test files do not collide.
  const x = randomBytes(1)[0] as number;
  const y = ((randomBytes(1)[0] as number) & 0xf8) % 248;
  const net = `10.254.${x}`;
  const remove = () => {
    try {
      ip("netns", "del", name); // takes the veth pair with it
    } catch {
      // already gone
    }
    try {
      ip("link", "del", hostIf);
    } catch {
      // went with the namespace
    }
  };
  try {
    ip("netns", "add", name);
    ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", name);
    ip("addr", "add", `${net}.${y + 1}/29`, "dev", hostIf);
    ip("link", "set", hostIf, "up");
    ip("-n", name, "addr", "add", `${net}.${y + 2}/29`, "dev", nsIf);
    ip("-n", name, "link", "set", nsIf, "up");
    ip("-n", name, "link", "set", "lo", "up");
  } catch (err) {
    remove();
    throw err;
  }
  return { peer: `${net}.${y + 2}`, silent: `${net}.${y + 3}`, remove };
}
