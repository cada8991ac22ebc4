// service=radius: an Access-Request with login/passwd under the shared secret, up on an
// Access-Accept whose response authenticator verifies (ldirectord's check_radius via
// Authen::Radius). UDP loses packets, so the request is sent again (same identifier and
// authenticator, as RFC 2865 wants for retransmissions) at 1/3 and 2/3 of the timeout.
// The secret and the password never appear in a reason.
import { createHash, randomInt } from "node:crypto";
import dgram from "node:dgram";
import { errorReason, untilStopped } from "./lib/stoppable.js";
import { down, up } from "./lib/result.js";
import type { Checker } from "./types.js";

/** RADIUS packets are at most 4096 bytes (RFC 2865 section 3); anything larger is not a reply. */
const MAX_PACKET = 4096;

/**
 * RFC 2865 section 3: the Response Authenticator is MD5(Code | Identifier | Length | Request
 * Authenticator | Attributes | Secret). The radius package's verify_response also insists
 * on a Message-Authenticator in the reply whenever the request had one, which FreeRADIUS
 * does not send on Access-Accept, so the check is done here.
 */
function responseAuthenticatorVerifies(request: Buffer, response: Buffer, secret: string): boolean {
  const length = response.readUInt16BE(2);
  if (length < 20 || length > response.length) return false;
  const expected = createHash("md5")
    .update(response.subarray(0, 4))
    .update(request.subarray(4, 20))
    .update(response.subarray(20, length))
    .update(secret)
    .digest();
  return expected.equals(response.subarray(4, 20));
}

export const radiusChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  if (spec.secret === "") return down("radius: secret= is required for service=radius", startedAt);
  if (spec.login === "") return down("radius: login= is required for service=radius", startedAt);
  const timeoutMs = spec.negotiateTimeoutMs;
  const secret = spec.secret;

  return untilStopped(
    timeoutMs,
    signal,
    startedAt,
    async ({ defer, signal: stop }) => {
      // Imported on the first radius check: a director that checks none never holds it.
      const { default: radius } = await import("radius");
      if (stop.aborted) throw new Error("aborted");
      return new Promise((resolve, reject) => {
        const identifier = randomInt(256);
        const request = radius.encode({
          code: "Access-Request",
          secret,
          identifier,
          attributes: [
            ["User-Name", spec.login],
            ["User-Password", spec.passwd],
            ["NAS-Identifier", "ldirector"],
          ],
          // Servers hardened against Blast-RADIUS may require it; it costs nothing.
          add_message_authenticator: true,
        });
        const sock = dgram.createSocket(target.family === "inet6" ? "udp6" : "udp4");
        const timers: NodeJS.Timeout[] = [];
        defer(() => {
          for (const t of timers) clearTimeout(t);
          sock.close();
        });
        sock.on("error", reject);
        sock.on("message", (msg) => {
          // A connected socket only hears the real; still, a stale or foreign identifier is not our answer.
          if (msg.length < 20 || msg.length > MAX_PACKET || msg[1] !== identifier) return;
          let verified: boolean;
          let code: string;
          try {
            verified = responseAuthenticatorVerifies(request, msg, secret);
            code = radius.decode({ packet: Buffer.from(msg), secret }).code;
          } catch {
            return resolve(down("radius: undecodable reply", startedAt));
          }
          if (!verified) {
            return resolve(
              down(`radius: ${code} with a bad response authenticator (wrong secret?)`, startedAt),
            );
          }
          if (code === "Access-Accept") return resolve(up("radius: Access-Accept", startedAt));
          resolve(
            down(
              code === "Access-Reject" ? "radius: Access-Reject" : `radius: ${code}, not Access-Accept`,
              startedAt,
            ),
          );
        });
        const send = () => sock.send(request, (err) => err && reject(err));
        // A failed connect (ENETUNREACH) is reported only to this callback and leaves the
        // socket unconnected, where a send() without a port would throw.
        sock.connect(target.port, target.address, (err?: Error) => {
          if (err) return reject(err);
          send();
          timers.push(setTimeout(send, timeoutMs / 3), setTimeout(send, (2 * timeoutMs) / 3));
        });
      });
    },
    (err) => errorReason("radius", err),
  );
};
