// service=ftp, as ldirectord's check_ftp (Net::FTP): log in (anonymous by default),
// cwd /, binary, passive, fetch `request` and match its content against receive.
// The file is read into memory with a bound, so a huge file cannot fill the director.
import { Writable } from "node:stream";
import { quoteReply, socketErrorReason } from "./lib/line-conversation.js";
import { receiveMatches } from "./lib/receive.js";
import { down, timeoutReason, up } from "./lib/result.js";
import type { Checker } from "./types.js";

export const MAX_FTP_FILE_BYTES = 1024 * 1024;

export const ftpChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  // Imported on the first ftp check: a director that checks none never holds basic-ftp.
  const { Client } = await import("basic-ftp");
  const timedOut = timeoutReason(spec.negotiateTimeoutMs);
  // basic-ftp's own timeout is per socket and idle-based; runCheck's deadline (the
  // signal, aborted at negotiatetimeout) covers it all.
  const client = new Client(0);
  const close = () => client.close();
  signal.addEventListener("abort", close, { once: true });
  try {
    if (signal.aborted) return down(timedOut, startedAt);
    const user = spec.login !== "" ? spec.login : "anonymous";
    // Net::FTP's anonymous password when none is given.
    const password = spec.passwd !== "" || user !== "anonymous" ? spec.passwd : "-anonymous@";
    await client.access({ host: target.address, port: target.port, user, password, secure: false });
    await client.cd("/");
    await client.send("TYPE I");
    // basic-ftp always opens data connections passively (EPSV, then PASV), as Net::FTP's pasv().
    const file = boundedSink(MAX_FTP_FILE_BYTES);
    await client.downloadTo(file.stream, spec.request.replace(/^\/+/, ""));
    const content = file.text();
    if (!receiveMatches(spec.receive, content))
      return down(`receive /${spec.receive}/ not matched`, startedAt);
    return up(`FTP ${spec.request} ${content.length} bytes`, startedAt);
  } catch (err) {
    return down(signal.aborted ? timedOut : ftpErrorReason(err), startedAt);
  } finally {
    signal.removeEventListener("abort", close);
    client.close();
  }
};

/** A writable that keeps at most `max` bytes and fails the transfer beyond that. */
function boundedSink(max: number): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > max) {
        callback(new Error(`file larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("latin1") };
}

/** basic-ftp's FTPError carries the server's reply ("550 Failed to open file."); socket errors a code. */
function ftpErrorReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number") return `FTP ${quoteReply(err.message)}`;
  if (typeof code === "string") return socketErrorReason(err);
  return `FTP ${quoteReply(err.message)}`;
}
