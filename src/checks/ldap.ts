// service=ldap and service=ldaps: bind (with login/passwd when both are set, else
// anonymously), read the entry named by `request` with a base-scope search, and count
// it up when exactly one entry comes back whose DN matches `receive` (ldirectord's
// check_ldap). ldaps does not verify the certificate unless tlsverify=yes.
import { readFile } from "node:fs/promises";
import { errorReason, libraryTimeoutMs, stripLeadingSlash, untilStopped } from "./lib/stoppable.js";
import { receiveMatches } from "./lib/receive.js";
import { down, up } from "./lib/result.js";
import type { Checker, CheckTarget } from "./types.js";

function ldapUrl(scheme: "ldap" | "ldaps", target: CheckTarget): string {
  const host = target.family === "inet6" ? `[${target.address}]` : target.address;
  return `${scheme}://${host}:${target.port}`;
}

/**
 * ldapts reports a result code as e.g. NoSuchObjectError with the message " Code: 0x20"
 * when the server gives no diagnostic: spell out the name, the code and any diagnostic.
 */
function describeLdapError(scheme: string, err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null | undefined;
  if (typeof e?.code !== "number" || typeof e.name !== "string" || !e.name.endsWith("Error")) {
    return errorReason(scheme, err);
  }
  const words = e.name
    .replace(/Error$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  const diagnostic =
    typeof e.message === "string" ? e.message.replace(/\s*Code: 0x[0-9a-f]+$/i, "").trim() : "";
  return errorReason(scheme, `${words} (LDAP result ${e.code})${diagnostic === "" ? "" : `: ${diagnostic}`}`);
}

export const ldapChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const scheme = spec.service === "ldaps" ? "ldaps" : "ldap";
  const base = stripLeadingSlash(spec.request);
  const timeoutMs = spec.negotiateTimeoutMs;

  return untilStopped(
    timeoutMs,
    signal,
    startedAt,
    async ({ defer, signal: stop }) => {
      // Imported on the first ldap check: a director that checks none never holds it.
      const { Client } = await import("ldapts");
      if (stop.aborted) throw new Error("aborted");
      const tlsOptions =
        scheme !== "ldaps"
          ? undefined
          : spec.tlsVerify
            ? {
                rejectUnauthorized: true,
                ca: spec.tlsCaFile ? await readFile(spec.tlsCaFile) : undefined,
                servername: spec.virtualHost,
              }
            : { rejectUnauthorized: false };
      const client = new Client({
        url: ldapUrl(scheme, target),
        timeout: libraryTimeoutMs(timeoutMs),
        connectTimeout: libraryTimeoutMs(timeoutMs),
        tlsOptions,
      });
      // unbind() also destroys the socket, connected or not; a hung server cannot hold it.
      defer(() => void client.unbind().catch(() => {}));
      if (spec.login !== "" && spec.passwd !== "") await client.bind(spec.login, spec.passwd);
      // "1.1" asks for no attributes: only the count and the DN matter.
      const { searchEntries } = await client.search(base, {
        scope: "base",
        filter: "(objectClass=*)",
        attributes: ["1.1"],
        sizeLimit: 2,
      });
      if (searchEntries.length !== 1) {
        return down(
          `${scheme}: ${searchEntries.length} entries for base "${base}" (expected exactly 1)`,
          startedAt,
        );
      }
      const dn = searchEntries[0]!.dn;
      if (!receiveMatches(spec.receive, dn)) {
        return down(`${scheme}: DN "${dn}" does not match receive /${spec.receive}/`, startedAt);
      }
      return up(`${scheme}: found "${dn}"`, startedAt);
    },
    (err) => describeLdapError(scheme, err),
  );
};
