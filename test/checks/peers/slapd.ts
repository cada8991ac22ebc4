// A real OpenLDAP slapd (mdb backend, dc=example,dc=com) on 127.0.0.1, serving ldap://
// and ldaps:// with a fresh self-signed certificate, for the ldap/ldaps checker.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { selfSigned } from "../core/tls.js";
import { freePort, PeerProcess, startInTempDir, run, tcpAccepts, waitUntil } from "./process.js";

export interface SlapdPeer {
  ldapPort: number;
  ldapsPort: number;
  suffix: string;
  /** A person who can bind with a password. */
  userDn: string;
  userPassword: string;
  /** The self-signed certificate (PEM) ldaps presents: a CA file for tlsverify=yes. */
  certFile: string;
  /** Another self-signed certificate that did not sign the server's. */
  otherCaFile: string;
  process: PeerProcess;
  stop(): Promise<void>;
}

/** slapd checks the certificate against the address the client dialled. */
function selfSignedForLoopback(dir: string, name: string): { cert: string; key: string } {
  const made = selfSigned(dir, name, "127.0.0.1", "IP:127.0.0.1");
  return { cert: made.certPath, key: made.keyPath };
}

export async function startSlapd(): Promise<SlapdPeer> {
  return startInTempDir("slapd", "SIGTERM", async (dir, track) => {
    const suffix = "dc=example,dc=com";
    const userDn = `uid=checker,ou=people,${suffix}`;
    const userPassword = "s3cret-pw";
    const server = selfSignedForLoopback(dir, "server");
    const other = selfSignedForLoopback(dir, "other");
    mkdirSync(join(dir, "db"));
    const conf = join(dir, "slapd.conf");
    writeFileSync(
      conf,
      [
        "include /etc/ldap/schema/core.schema",
        "include /etc/ldap/schema/cosine.schema",
        "include /etc/ldap/schema/inetorgperson.schema",
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        `pidfile ${join(dir, "slapd.pid")}`,
        `TLSCertificateFile ${server.cert}`,
        `TLSCertificateKeyFile ${server.key}`,
        "database mdb",
        "maxsize 10485760",
        `suffix "${suffix}"`,
        `rootdn "cn=admin,${suffix}"`,
        "rootpw admin-pw",
        `directory ${join(dir, "db")}`,
        "access to * by * read",
        "",
      ].join("\n"),
    );
    const ldif = join(dir, "base.ldif");
    writeFileSync(
      ldif,
      [
        `dn: ${suffix}`,
        "objectClass: dcObject",
        "objectClass: organization",
        "dc: example",
        "o: Example",
        "",
        `dn: ou=people,${suffix}`,
        "objectClass: organizationalUnit",
        "ou: people",
        "",
        `dn: ${userDn}`,
        "objectClass: inetOrgPerson",
        "uid: checker",
        "cn: Health Checker",
        "sn: Checker",
        `userPassword: ${userPassword}`,
        "",
      ].join("\n"),
    );
    run("slapadd", ["-f", conf, "-l", ldif]);
    const ldapPort = await freePort();
    const ldapsPort = await freePort();
    const proc = track(
      new PeerProcess("slapd", [
        "-f",
        conf,
        "-h",
        `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/`,
        "-d",
        "0",
      ]),
    );
    await waitUntil("slapd", async () => (await tcpAccepts(ldapPort)) && (await tcpAccepts(ldapsPort)), proc);
    return {
      ldapPort,
      ldapsPort,
      suffix,
      userDn,
      userPassword,
      certFile: server.cert,
      otherCaFile: other.cert,
      process: proc,
    };
  });
}
