// Self-signed certificates made by openssl for the https tests.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface SelfSigned {
  certPath: string;
  cert: Buffer;
  key: Buffer;
}

export function selfSigned(dir: string, name: string, cn = "localhost"): SelfSigned {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-days", "1"].concat([
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ]),
    { stdio: "ignore" },
  );
  return { certPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}
