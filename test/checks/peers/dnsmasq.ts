// A real dnsmasq on 127.0.0.1 (UDP and TCP, one port) answering from a hosts file:
// A, AAAA and the matching PTR records; names under example.test it does not know get
// NXDOMAIN. For the dns checker.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, PeerProcess, startInTempDir, tcpAccepts, waitUntil } from "./process.js";

export interface DnsmasqPeer {
  port: number;
  process: PeerProcess;
  stop(): Promise<void>;
}

export const HOSTS = [
  "192.0.2.10 web.example.test",
  "2001:db8::10 web.example.test",
  "2001:db8::20 v6only.example.test",
];

export async function startDnsmasq(): Promise<DnsmasqPeer> {
  return startInTempDir("dnsmasq", "SIGTERM", async (dir, track) => {
    const hosts = join(dir, "hosts");
    writeFileSync(hosts, `${HOSTS.join("\n")}\n`);
    const port = await freePort(true);
    const proc = track(
      new PeerProcess("dnsmasq", [
        "--no-daemon",
        "--conf-file=/dev/null",
        `--port=${port}`,
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        `--addn-hosts=${hosts}`,
        "--local=/example.test/",
        `--pid-file=${join(dir, "pid")}`,
        "--user=root",
        "--log-queries",
      ]),
    );
    await waitUntil("dnsmasq", () => tcpAccepts(port), proc);
    return {
      port,
      process: proc,
    };
  });
}
