// service=sip, as ldirectord's check_sip: an OPTIONS request to the real over the
// virtual's transport (UDP unless the virtual is tcp), up when the final answer's
// status line starts with "SIP/2.0 200 OK". Provisional 1xx answers are skipped.
import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { hostname } from "node:os";
import { bracketed } from "./lib/address.js";
import {
  ConversationError,
  errorReason,
  type LineConversation,
  quoteReply,
  singleLine,
  socketErrorReason,
  withLineConversation,
} from "./lib/line-conversation.js";
import { down, timeoutReason, up } from "./lib/result.js";
import type { Checker, CheckTarget } from "./types.js";

/** A SIP datagram never exceeds this; a TCP reply is read up to it too. */
const MAX_SIP_REPLY_BYTES = 64 * 1024;

export interface SipOptionsRequest {
  login: string;
  transport: "UDP" | "TCP";
  localAddress: string;
  localPort: number;
  branch: string;
  tag: string;
  callId: string;
}

/** The OPTIONS request, as ldirectord builds it (plus rport and a From tag, which RFC 3261 asks for). */
export function sipOptionsRequest(r: SipOptionsRequest): string {
  return (
    `OPTIONS sip:${r.login} SIP/2.0\r\n` +
    `Via: SIP/2.0/${r.transport} ${bracketed(r.localAddress)}:${r.localPort};branch=z9hG4bK${r.branch};rport\r\n` +
    "Max-Forwards: 70\r\n" +
    `To: <sip:${r.login}>\r\n` +
    `From: <sip:${r.login}>;tag=${r.tag}\r\n` +
    `Call-ID: ${r.callId}\r\n` +
    "CSeq: 1 OPTIONS\r\n" +
    `Contact: <sip:${r.login}>\r\n` +
    "Accept: application/sdp\r\n" +
    "Content-Length: 0\r\n\r\n"
  );
}

export const sipChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  try {
    // ldirectord's default login for sip.
    const login = singleLine("login", spec.login !== "" ? spec.login : `ldirectord@${hostname()}`);
    const status =
      target.virtual.protocol === "tcp"
        ? await overTcp(target, login, signal)
        : await overUdp(target, login, signal);
    if (!/^SIP\/2\.0 200 OK/.test(status)) return down(`SIP ${quoteReply(status)}`, startedAt);
    return up(`SIP ${quoteReply(status)}`, startedAt);
  } catch (err) {
    // runCheck aborts the signal at negotiatetimeout.
    return down(signal.aborted ? timeoutReason(spec.negotiateTimeoutMs) : errorReason(err), startedAt);
  }
};

function request(login: string, transport: "UDP" | "TCP", localAddress: string, localPort: number): string {
  return sipOptionsRequest({
    login,
    transport,
    localAddress,
    localPort,
    branch: randomBytes(8).toString("hex"),
    tag: randomBytes(4).toString("hex"),
    callId: randomBytes(8).toString("hex"),
  });
}

/** The status line of the first final (non-1xx) answer over TCP. */
function overTcp(target: CheckTarget, login: string, signal: AbortSignal): Promise<string> {
  return withLineConversation(
    { address: target.address, port: target.port, signal, maxBytes: MAX_SIP_REPLY_BYTES },
    async (conversation) => {
      conversation.write(request(login, "TCP", conversation.localAddress, conversation.localPort));
      for (;;) {
        const status = await conversation.readLine();
        if (!/^SIP\/2\.0 1\d\d\b/.test(status)) return status;
        await skipMessage(conversation);
      }
    },
  );
}

/** Reads the headers and body of a provisional answer we do not care about. */
async function skipMessage(conversation: LineConversation): Promise<void> {
  let length = 0;
  for (;;) {
    const header = await conversation.readLine();
    if (header === "") break;
    const match = /^(?:content-length|l)\s*:\s*(\d+)/i.exec(header);
    if (match) length = Number(match[1]);
  }
  let skipped = 0;
  while (skipped < length) skipped += (await conversation.readChunk(length - skipped)).length;
}

/** The status line of the first final (non-1xx) answer over UDP, from the real only (connected socket). */
function overUdp(target: CheckTarget, login: string, signal: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket: UdpSocket = createSocket({
      type: target.family === "inet6" ? "udp6" : "udp4",
      recvBufferSize: MAX_SIP_REPLY_BYTES,
    });
    let done = false;
    const finish = (err: Error | undefined, status?: string) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", aborted);
      socket.close();
      if (err) reject(err);
      else resolve(status ?? "");
    };
    const aborted = () => finish(new ConversationError("aborted"));
    signal.addEventListener("abort", aborted, { once: true });
    if (signal.aborted) aborted();
    socket.on("error", (err) => finish(new ConversationError(socketErrorReason(err))));
    socket.on("message", (message: Buffer) => {
      const text = message.subarray(0, MAX_SIP_REPLY_BYTES).toString("latin1");
      const status = text
        .slice(0, text.indexOf("\n") >= 0 ? text.indexOf("\n") : text.length)
        .replace(/\r$/, "");
      if (/^SIP\/2\.0 1\d\d\b/.test(status)) return;
      finish(undefined, status);
    });
    socket.connect(target.port, target.address, (err?: Error) => {
      if (done) return;
      if (err) {
        finish(new ConversationError(socketErrorReason(err)));
        return;
      }
      const local = socket.address();
      socket.send(request(login, "UDP", local.address, local.port));
    });
  });
}
