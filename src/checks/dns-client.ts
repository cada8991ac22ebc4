// A minimal DNS client for the dns check: one question to one server on a chosen port,
// over UDP or TCP. node:dns cannot pick TCP, and its port choice is process-wide, so the
// exchange is done here with dns-packet. Replies are bounded (64 KiB), matched by id and
// question, and everything opened is released through the stop scope.
import { randomInt } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import type DnsPacket from "dns-packet";
import type { DecodedPacket, RecordType } from "dns-packet";

/**
 * The DNS codec, loaded by the first DNS check rather than at start: every director loads
 * the checker registry, few check DNS, and the library costs ~45 ms of start-up.
 */
let codec: typeof DnsPacket | undefined;
async function loadCodec(): Promise<typeof DnsPacket> {
  codec ??= (await import("dns-packet")).default;
  return codec;
}
import type { StopScope } from "./lib/stoppable.js";

export type DnsTransport = "udp" | "tcp";

export interface DnsServer {
  address: string;
  family: "inet" | "inet6";
  port: number;
}

/** The largest DNS message: TCP frames it with a 16-bit length, UDP cannot carry more. */
const MAX_MESSAGE = 65_535;

const RCODES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
];

export function rcodeName(reply: DecodedPacket): string {
  const code = (reply.flags ?? 0) & 0xf;
  return RCODES[code] ?? `RCODE${code}`;
}

/**
 * Asks `server` for (name, type) and resolves with the reply. Over UDP a truncated reply
 * is asked again over TCP, as resolvers do. Rejects on socket errors; `scope.signal`
 * stops it.
 */
export async function queryDns(
  server: DnsServer,
  transport: DnsTransport,
  name: string,
  type: RecordType,
  scope: StopScope,
  retransmitMs: number,
): Promise<DecodedPacket> {
  const dnsPacket = await loadCodec();
  const id = randomInt(65_536);
  const query = dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
  });
  const isOurs = (reply: DecodedPacket) => {
    const q = reply.questions?.[0];
    return (
      reply.id === id &&
      reply.type === "response" &&
      q !== undefined &&
      q.type === type &&
      q.name.toLowerCase() === name.replace(/\.$/, "").toLowerCase()
    );
  };
  if (transport === "udp") {
    const reply = await overUdp(server, query, isOurs, scope, retransmitMs);
    if (!reply.flag_tc) return reply;
  }
  return overTcp(server, query, isOurs, scope);
}

function overUdp(
  server: DnsServer,
  query: Buffer,
  isOurs: (reply: DecodedPacket) => boolean,
  scope: StopScope,
  retransmitMs: number,
): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(server.family === "inet6" ? "udp6" : "udp4");
    let retransmit: NodeJS.Timeout | undefined;
    scope.defer(() => {
      clearTimeout(retransmit);
      sock.close();
    });
    sock.on("error", reject);
    sock.on("message", (msg) => {
      const reply = decodeOrUndefined(msg);
      // Garbage or someone else's answer: keep waiting for ours until the deadline.
      if (reply !== undefined && isOurs(reply)) resolve(reply);
    });
    const send = () => sock.send(query, (err) => err && reject(err));
    // connect() reports its own failure (ENETUNREACH: no route to the real) only to this
    // callback, and the socket is then unconnected: a send() without a port would throw.
    sock.connect(server.port, server.address, (err?: Error) => {
      if (err) return reject(err);
      send();
      // UDP may lose the query; one retransmission within the timeout.
      if (retransmitMs > 0) retransmit = setTimeout(send, retransmitMs);
    });
  });
}

function overTcp(
  server: DnsServer,
  query: Buffer,
  isOurs: (reply: DecodedPacket) => boolean,
  scope: StopScope,
): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.address, port: server.port });
    scope.defer(() => sock.destroy());
    const frame = Buffer.alloc(2);
    frame.writeUInt16BE(query.length);
    let got = Buffer.alloc(0);
    sock.on("error", reject);
    sock.on("connect", () => sock.write(Buffer.concat([frame, query])));
    sock.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length > 2 + MAX_MESSAGE) got = got.subarray(0, 2 + MAX_MESSAGE);
      if (got.length < 2) return;
      const length = got.readUInt16BE(0);
      if (got.length < 2 + length) return;
      sock.destroy();
      const reply = decodeOrUndefined(got.subarray(2, 2 + length));
      if (reply === undefined) return reject(new Error("undecodable reply"));
      if (!isOurs(reply)) return reject(new Error("reply does not answer the question asked"));
      resolve(reply);
    });
    sock.on("end", () => reject(new Error("connection closed before a full reply")));
  });
}

/** Only called once queryDns has loaded the codec. */
function decodeOrUndefined(msg: Buffer): DecodedPacket | undefined {
  try {
    return codec!.decode(msg);
  } catch {
    return undefined;
  }
}
