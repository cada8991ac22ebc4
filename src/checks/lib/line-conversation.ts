// The banner protocols (SMTP, POP, IMAP, NNTP, simpletcp, SIP over TCP) are short
// line-by-line exchanges over TCP or TLS. This is the one place that owns their socket:
// it reads a bounded number of bytes, stops when the signal aborts, and always
// destroys the socket, so the checkers only speak their protocol.
import { readFile } from "node:fs/promises";
import { isIP, type Socket, connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { CheckSpec } from "../../config/types.js";
import type { CheckResult, CheckTarget } from "../types.js";
import { down, timeoutReason, up } from "./result.js";

/** Everything one peer may send us in one check. */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024;

export interface ConversationOptions {
  address: string;
  port: number;
  /** Speak TLS from the first byte (pops, imaps). */
  tls?: boolean;
  /** Verify the certificate against `tlsCaFile` and send `servername` as SNI. Off: no verification. */
  tlsVerify?: boolean;
  tlsCaFile?: string;
  servername?: string;
  signal: AbortSignal;
  maxBytes?: number;
}

/** A failed conversation; the message is the honest reason a check gives. */
export class ConversationError extends Error {
  override name = "ConversationError";
}

export class LineConversation {
  private buffer: Buffer = Buffer.alloc(0);
  private received = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
  ) {
    socket.on("data", (data: Buffer) => {
      this.received += data.length;
      if (this.received > this.maxBytes) {
        this.fail(new ConversationError(`reply longer than ${this.maxBytes} bytes`));
        return;
      }
      this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
      this.notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", (err) => this.fail(new ConversationError(socketErrorReason(err))));
  }

  get localAddress(): string {
    return this.socket.localAddress ?? "";
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /** Stops the conversation with `err`; every pending and later read rejects with it. */
  fail(err: Error): void {
    this.failure ??= err;
    this.socket.destroy();
    this.notify();
  }

  /** The next line without its CRLF (or LF). Rejects when the peer closes before a full line. */
  async readLine(): Promise<string> {
    const line = await this.readRawLine();
    if (line === undefined || !line.endsWith("\n")) {
      throw new ConversationError("connection closed by the real");
    }
    return line.replace(/\r?\n$/, "");
  }

  /**
   * The next line including its "\n", or the unterminated rest when the peer has closed,
   * or undefined when nothing is left.
   */
  async readRawLine(): Promise<string | undefined> {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline >= 0) return this.take(newline + 1);
      if (this.failure) throw this.failure;
      if (this.ended) return this.buffer.length > 0 ? this.take(this.buffer.length) : undefined;
      await this.changed();
    }
  }

  /** Whatever has arrived, up to `max` bytes, once at least one byte has (one read(2), as sysread). */
  async readChunk(max: number): Promise<string> {
    for (;;) {
      if (this.buffer.length > 0) return this.take(Math.min(max, this.buffer.length));
      if (this.failure) throw this.failure;
      if (this.ended) throw new ConversationError("connection closed by the real");
      await this.changed();
    }
  }

  write(text: string): void {
    if (this.failure) throw this.failure;
    this.socket.write(text);
  }

  /** Half-close: the peer sees end of input, we can still read. */
  endWrite(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private take(n: number): string {
    const text = this.buffer.subarray(0, n).toString("latin1");
    this.buffer = this.buffer.subarray(n);
    return text;
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * Connects, runs `talk`, and destroys the socket whatever happened. Rejects with a
 * ConversationError (or the abort) when the connection or the conversation fails.
 */
export async function withLineConversation<T>(
  options: ConversationOptions,
  talk: (conversation: LineConversation) => Promise<T>,
): Promise<T> {
  const { signal } = options;
  if (signal.aborted) throw new ConversationError("aborted");
  const ca =
    options.tls && options.tlsVerify && options.tlsCaFile ? await readCa(options.tlsCaFile) : undefined;
  if (signal.aborted) throw new ConversationError("aborted");
  const socket = openSocket(options, ca);
  const conversation = new LineConversation(socket, options.maxBytes ?? DEFAULT_MAX_REPLY_BYTES);
  const onAbort = () => conversation.fail(new ConversationError("aborted"));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await connected(socket, options.tls === true, signal);
    return await talk(conversation);
  } finally {
    signal.removeEventListener("abort", onAbort);
    socket.destroy();
  }
}

function openSocket(options: ConversationOptions, ca: Buffer | undefined): Socket {
  const { address: host, port } = options;
  if (!options.tls) return tcpConnect({ host, port });
  const verify = options.tlsVerify === true;
  // Node refuses an IP literal as SNI; with verification the name is also what the certificate must carry.
  const servername =
    verify && options.servername && isIP(options.servername) === 0 ? options.servername : undefined;
  return tlsConnect({
    host,
    port,
    rejectUnauthorized: verify,
    ...(ca ? { ca } : {}),
    ...(servername ? { servername } : {}),
  });
}

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConversationError(
      `cannot read tlscafile ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

function connected(socket: Socket, tls: boolean, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const event = tls ? "secureConnect" : "connect";
    const ok = () => {
      cleanup();
      resolve();
    };
    const failed = (err: Error) => {
      cleanup();
      reject(err instanceof ConversationError ? err : new ConversationError(socketErrorReason(err, tls)));
    };
    const closed = () => failed(new ConversationError("connection closed by the real"));
    const aborted = () => failed(new ConversationError("aborted"));
    const cleanup = () => {
      socket.off(event, ok);
      socket.off("error", failed);
      socket.off("close", closed);
      signal.removeEventListener("abort", aborted);
    };
    socket.once(event, ok);
    socket.once("error", failed);
    socket.once("close", closed);
    signal.addEventListener("abort", aborted, { once: true });
  });
}

/** "connect ECONNREFUSED", "TLS CERT_HAS_EXPIRED", "read ECONNRESET": short and stable. */
export function socketErrorReason(err: Error, duringTls = false): string {
  const code = (err as NodeJS.ErrnoException).code;
  const syscall = (err as NodeJS.ErrnoException).syscall;
  if (syscall && code) return `${syscall} ${code}`;
  if (code) return duringTls ? `TLS ${code}` : code;
  return err.message;
}

/** A server's reply line as it may appear in a reason: printable, at most 120 characters. */
export function quoteReply(line: string): string {
  const clean = line.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

/**
 * The whole shape of a banner check: connect to the target (TLS when asked), run `talk`
 * until the signal aborts (runCheck aborts it at negotiatetimeout), and turn what happened into a CheckResult. `talk`
 * returns the reason for "up" and throws a ConversationError with the reason for "down".
 */
export async function conversationCheck(
  target: CheckTarget,
  spec: CheckSpec,
  signal: AbortSignal,
  tls: boolean,
  talk: (conversation: LineConversation) => Promise<string>,
): Promise<CheckResult> {
  const startedAt = performance.now();
  try {
    const reason = await withLineConversation(
      {
        address: target.address,
        port: target.port,
        tls,
        tlsVerify: spec.tlsVerify,
        tlsCaFile: spec.tlsCaFile,
        servername: spec.virtualHost,
        signal,
      },
      talk,
    );
    return up(reason, startedAt);
  } catch (err) {
    // runCheck aborts the signal at negotiatetimeout.
    return down(signal.aborted ? timeoutReason(spec.negotiateTimeoutMs) : errorReason(err), startedAt);
  }
}

export function errorReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Refuses CR and LF in what we put on a command line, so a login cannot inject commands. */
export function singleLine(what: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new ConversationError(`${what} contains a line break`);
  return value;
}
