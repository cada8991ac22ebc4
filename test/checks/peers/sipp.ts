// SIPp (Debian sip-tester) as a user agent server on 127.0.0.1: it answers every OPTIONS
// with the status line it is given, over UDP or TCP, from a scenario written to a temp dir.
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, makeTempDir, PeerProcess, removeTempDir, tcpAccepts, waitUntil } from "./process.js";

export interface SippPeer {
  port: number;
  stop(): Promise<void>;
}

function scenario(status: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer OPTIONS with ${status}">
  <recv request="OPTIONS"/>
  <send>
    <![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
</scenario>
`;
}

/** True once someone else holds this UDP port (we cannot bind it). */
function udpTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    sock.once("error", () => resolve(true));
    sock.bind(port, "127.0.0.1", () => sock.close(() => resolve(false)));
  });
}

export async function startSipp(status: string, transport: "udp" | "tcp" = "udp"): Promise<SippPeer> {
  const dir = makeTempDir("sipp");
  const file = join(dir, "uas.xml");
  writeFileSync(file, scenario(status));
  const port = await freePort(true);
  const args = ["-sf", file, "-i", "127.0.0.1", "-p", String(port), "-m", "10000", "-nostdin"];
  if (transport === "tcp") args.push("-t", "t1");
  const peer = new PeerProcess("sipp", args, { cwd: dir });
  try {
    await waitUntil("sipp", () => (transport === "tcp" ? tcpAccepts(port) : udpTaken(port)), peer);
  } catch (err) {
    await peer.stop();
    removeTempDir(dir);
    throw err;
  }
  return {
    port,
    async stop() {
      await peer.stop();
      removeTempDir(dir);
    },
  };
}
