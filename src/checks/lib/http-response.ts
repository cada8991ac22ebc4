// Reads one HTTP/1.x response as it arrives, for the plain-HTTP probe: the status, the
// headers a check needs, and at most `maxBody` bytes of body. It takes what real servers
// send as llhttp (undici's parser) does where that is clear, and is lenient where a
// health check gains nothing by being strict: bare LF line ends, folded header lines
// (joined with a space, as RFC 9112 section 5.2 lets a recipient do), a missing reason phrase.
// Interim 1xx answers (100 Continue, 103 Early Hints) are skipped. The body ends at
// Content-Length, at the last chunk of a chunked body, or when the server closes; the
// bytes are raw (no content decoding), as undici hands them over.
//
// Errors are named with llhttp's codes, so a reason reads the same whichever path ran.

/** The head of the final (non-1xx) response. */
export interface ResponseHead {
  status: number;
  /** Lowercased names; a repeated header's values joined with ", ". */
  headers: Map<string, string>;
  /** Names that came more than once (a repeated Location is no usable redirect). */
  repeated: Set<string>;
}

type Framing =
  | { kind: "none" }
  | { kind: "length"; left: number }
  | { kind: "close" }
  | { kind: "chunked"; at: "size" | "data" | "data-end" | "trailers"; left: number };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.\d [0-9]{3}(?:[ \t].*)?$/;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/;
/** Longer than any sane chunk-size line or trailer block before its line end. */
const MAX_LINE = 4096;

export class ResponseReader {
  /** Set once the final head is in. */
  head: ResponseHead | undefined;
  /** Set on the first protocol error; nothing more is read after it. */
  error: string | undefined;
  /** True once the body is whole, or `cut`. */
  complete = false;
  /** True when the body reached maxBody and the rest was not read. */
  cut = false;

  private pending: Buffer | undefined;
  private framing: Framing = { kind: "none" };
  private readonly body: Buffer[] = [];
  private bodySize = 0;

  /**
   * @param noBody the request was HEAD: whatever the head says, no body follows.
   * @param maxHead bytes one head may take.
   */
  constructor(
    private readonly noBody: boolean,
    private readonly maxHead: number,
    private readonly maxBody: number,
  ) {}

  /** Feeds bytes as they came off the socket. */
  push(chunk: Buffer): void {
    if (this.error !== undefined || this.complete) return;
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (data.length > 0 && this.error === undefined && !this.complete) {
      data = this.head === undefined ? this.readHead(data) : this.readBody(data);
    }
  }

  /** The server closed its side: a body read until close is whole; anything else was cut short. */
  end(): void {
    if (this.error !== undefined || this.complete) return;
    if (this.head !== undefined && this.framing.kind === "close") this.complete = true;
    else this.error = "connection: other side closed";
  }

  /** The body read so far, as text. */
  text(): string {
    return Buffer.concat(this.body, this.bodySize).toString("utf8");
  }

  /** Consumes one head from `data` if it is all there; returns what is left. */
  private readHead(data: Buffer): Buffer {
    const end = headEnd(data);
    if (end === undefined) {
      if (data.length > this.maxHead) this.error = "bad HTTP response: headers too large";
      else this.pending = data;
      return EMPTY;
    }
    if (end.length > this.maxHead) {
      this.error = "bad HTTP response: headers too large";
      return EMPTY;
    }
    const head = parseHead(data.toString("latin1", 0, end.length));
    if (typeof head === "string") {
      this.error = `bad HTTP response: ${head}`;
      return EMPTY;
    }
    const rest = data.subarray(end.next);
    // 101 ends HTTP on this connection: it is an answer (not 2xx), not an interim one.
    if (head.status < 200 && head.status !== 101) return rest;
    this.head = head;
    const framing = framingOf(head, this.noBody);
    if (typeof framing === "string") {
      this.error = `bad HTTP response: ${framing}`;
      return EMPTY;
    }
    this.framing = framing;
    if (framing.kind === "none" || (framing.kind === "length" && framing.left === 0)) this.complete = true;
    return rest;
  }

  /** Consumes body bytes (and chunk framing) from `data`; returns what is left. */
  private readBody(data: Buffer): Buffer {
    const f = this.framing;
    switch (f.kind) {
      case "none":
        this.complete = true;
        return EMPTY;
      case "close":
        this.keep(data);
        return EMPTY;
      case "length": {
        const take = Math.min(f.left, data.length);
        f.left -= take;
        this.keep(data.subarray(0, take));
        if (f.left === 0) this.complete = true;
        // Bytes past Content-Length are not this response's: ignored.
        return EMPTY;
      }
      case "chunked":
        return this.readChunked(f, data);
    }
  }

  private readChunked(f: Framing & { kind: "chunked" }, data: Buffer): Buffer {
    if (f.at === "data") {
      const take = Math.min(f.left, data.length);
      f.left -= take;
      this.keep(data.subarray(0, take));
      if (f.left === 0) f.at = "data-end";
      return data.subarray(take);
    }
    const nl = data.indexOf(0x0a);
    if (nl < 0) {
      if (data.length > MAX_LINE) this.error = "bad HTTP response: HPE_INVALID_CHUNK_SIZE";
      else this.pending = data;
      return EMPTY;
    }
    const line = data.toString("latin1", 0, nl > 0 && data[nl - 1] === 0x0d ? nl - 1 : nl);
    const rest = data.subarray(nl + 1);
    if (f.at === "data-end") {
      if (line !== "") this.error = "bad HTTP response: HPE_STRICT";
      f.at = "size";
      return rest;
    }
    if (f.at === "trailers") {
      // Trailers are read past, not kept; the empty line ends the response.
      if (line === "") this.complete = true;
      return rest;
    }
    const m = CHUNK_SIZE.exec(line);
    if (!m) {
      this.error = "bad HTTP response: HPE_INVALID_CHUNK_SIZE";
      return EMPTY;
    }
    f.left = parseInt(m[1]!, 16);
    f.at = f.left === 0 ? "trailers" : "data";
    return rest;
  }

  private keep(bytes: Buffer): void {
    const room = this.maxBody - this.bodySize;
    if (bytes.length >= room) {
      this.body.push(bytes.subarray(0, room));
      this.bodySize = this.maxBody;
      this.cut = true;
      this.complete = true;
      return;
    }
    if (bytes.length > 0) this.body.push(bytes);
    this.bodySize += bytes.length;
  }
}

const EMPTY = Buffer.alloc(0);

/** Where the head ends (the first empty line, CRLF or LF): its length without the blank line, and where the rest begins. */
function headEnd(data: Buffer): { length: number; next: number } | undefined {
  for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, at + 1)) {
    if (data[at + 1] === 0x0a) return { length: at + 1, next: at + 2 };
    if (data[at + 1] === 0x0d && data[at + 2] === 0x0a) return { length: at + 1, next: at + 3 };
  }
  return undefined;
}

/** A head's text (without its blank line) → status and headers, or llhttp's name for what is wrong. */
function parseHead(text: string): ResponseHead | string {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const statusLine = trimCr(lines[0] ?? "");
  if (!statusLine.startsWith("HTTP/")) return "HPE_INVALID_CONSTANT";
  if (!STATUS_LINE.test(statusLine)) return "HPE_INVALID_STATUS";
  const headers = new Map<string, string>();
  const repeated = new Set<string>();
  let last: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = trimCr(lines[i]!);
    if (line[0] === " " || line[0] === "\t") {
      // obs-fold: the line continues the previous header's value.
      if (last === undefined) return "HPE_INVALID_HEADER_TOKEN";
      const more = line.trim();
      if (more !== "") headers.set(last, `${headers.get(last)!} ${more}`.trim());
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : "";
    if (!TOKEN.test(name)) return "HPE_INVALID_HEADER_TOKEN";
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    if (before === undefined) headers.set(name, value);
    else {
      headers.set(name, `${before}, ${value}`);
      repeated.add(name);
    }
    last = name;
  }
  return { status: Number(statusLine.slice(9, 12)), headers, repeated };
}

function framingOf(head: ResponseHead, noBody: boolean): Framing | string {
  if (noBody || head.status === 204 || head.status === 304 || head.status === 101) return { kind: "none" };
  const te = head.headers.get("transfer-encoding");
  if (te !== undefined) {
    const codings = te.split(",").map((c) => c.trim().toLowerCase());
    // A body whose last coding is not chunked runs until the server closes (RFC 9112 section 6.3).
    return codings.at(-1) === "chunked" ? { kind: "chunked", at: "size", left: 0 } : { kind: "close" };
  }
  const cl = head.headers.get("content-length");
  if (cl === undefined) return { kind: "close" };
  const values = new Set(cl.split(",").map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^[0-9]{1,15}$/.test(only)) {
    return "HPE_INVALID_CONTENT_LENGTH";
  }
  return { kind: "length", left: Number(only) };
}

function trimCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
