// Debian's dovecot in the foreground on 127.0.0.1: IMAP, IMAPS, POP3 and POP3S with a
// self-signed certificate and one user from a passwd-file, everything under a temp dir.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { selfSigned } from "../core/tls.js";
import {
  freePort,
  makeTempDir,
  PeerProcess,
  removeTempDir,
  tcpAccepts,
  userIds,
  waitUntil,
} from "./process.js";

export interface DovecotPeer {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  user: string;
  password: string;
  /** The self-signed certificate the TLS listeners present (CN and SAN "mail.test"). */
  certFile: string;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export async function startDovecot(): Promise<DovecotPeer> {
  const dir = makeTempDir("dovecot");
  // Login processes drop to dovenull and mail processes to the mail user: both walk in here.
  chmodSync(dir, 0o755);
  const [imap, imaps, pop3, pop3s] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const { certPath: certFile, keyPath: keyFile } = selfSigned(dir, "mail", "mail.test", "DNS:mail.test");
  const mailUser = userIds("nobody");
  const mail = join(dir, "mail");
  mkdirSync(mail, { mode: 0o755 });
  chownSync(mail, mailUser.uid, mailUser.gid);
  const user = "probe";
  const password = "s3cret-Pa55";
  const users = join(dir, "users");
  writeFileSync(users, `${user}:{PLAIN}${password}:${mailUser.uid}:${mailUser.gid}::${mail}/${user}::\n`);
  const conf = join(dir, "dovecot.conf");
  writeFileSync(
    conf,
    `base_dir = ${join(dir, "run")}
state_dir = ${join(dir, "state")}
instance_name = ldirector-${imap}
listen = 127.0.0.1
protocols = imap pop3
ssl = yes
ssl_cert = <${certFile}
ssl_key = <${keyFile}
disable_plaintext_auth = no
auth_mechanisms = plain login
# Wrong-password cases are part of the tests: no 2 s failure delay, no growing penalty.
auth_failure_delay = 0
log_path = /dev/stderr
info_log_path = /dev/stderr
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:${mail}/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = ${users}
}
userdb {
  driver = passwd-file
  args = ${users}
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    port = ${imap}
  }
  inet_listener imaps {
    port = ${imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3}
  }
  inet_listener pop3s {
    port = ${pop3s}
    ssl = yes
  }
}
`,
  );
  const peer = new PeerProcess("dovecot", ["-F", "-c", conf]);
  try {
    for (const port of [imap, imaps, pop3, pop3s]) await waitUntil("dovecot", () => tcpAccepts(port), peer);
  } catch (err) {
    await peer.stop();
    removeTempDir(dir);
    throw err;
  }
  return {
    imap,
    imaps,
    pop3,
    pop3s,
    user,
    password,
    certFile,
    freeze: () => peer.signal("SIGSTOP"),
    thaw: () => peer.signal("SIGCONT"),
    async stop() {
      await peer.stop();
      removeTempDir(dir);
    },
  };
}
