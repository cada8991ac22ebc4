// One honest line for whatever undici or the TLS layer threw.

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  cause?: unknown;
}

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_)|CERT|SELF_SIGNED|UNABLE_TO_|_SIGNATURE|HOSTNAME_MISMATCH/;

export function describeHttpError(err: unknown): string {
  const e = (err ?? {}) as ErrorLike;
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : String(err);
  if (code !== "" && TLS_CODE.test(code)) return `TLS: ${code}`;
  // Reset or closed in the middle of the handshake: Node says so in the message.
  if (/TLS/.test(message) && /^E[A-Z]+$/.test(code)) return `TLS: ${code}`;
  // llhttp's errors carry an HPE_ code or, from undici's parser wrapper, only a message.
  if (code.startsWith("HPE_")) return `bad HTTP response: ${code}`;
  if (e.name === "HTTPParserError") return `bad HTTP response: ${message}`;
  if (code === "UND_ERR_HEADERS_OVERFLOW") return "bad HTTP response: headers too large";
  if (code === "UND_ERR_SOCKET") return `connection: ${message}`;
  if (code === "ECONNRESET") return "connection reset (ECONNRESET)";
  if (/^E[A-Z]+$/.test(code))
    return e.syscall === "connect" || code === "ECONNREFUSED" ? `connect ${code}` : code;
  if (e.cause !== undefined && e.cause !== err) return describeHttpError(e.cause);
  return code !== "" ? `${code}: ${message}` : message;
}
