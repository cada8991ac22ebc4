// Self-signed certificates made by openssl, for every TLS peer of the tests (https,
// ldaps, imaps, pops).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface SelfSigned {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

/** `cn` is the subject's common name; `altName` (e.g. "DNS:mail.test", "IP:127.0.0.1") adds a subjectAltName. */
export function selfSigned(dir: string, name: string, cn = "localhost", altName?: string): SelfSigned {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-days", "2"],
      ...(altName ? ["-addext", `subjectAltName=${altName}`] : []),
      ...["-keyout", keyPath, "-out", certPath],
    ],
    { stdio: "ignore" },
  );
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}
