// Debian's vsftpd in the foreground on 127.0.0.1, anonymous read-only, serving a temp dir.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, makeTempDir, PeerProcess, removeTempDir, tcpAccepts, waitUntil } from "./process.js";

export interface VsftpdPeer {
  port: number;
  /** Writes a file (readable by the anonymous user) under the FTP root. */
  put(name: string, content: string | Buffer): void;
  /** SIGSTOP/SIGCONT the server: a hung real that still accepts connections (the kernel does). */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export async function startVsftpd(): Promise<VsftpdPeer> {
  const dir = makeTempDir("vsftpd");
  // The anonymous session runs as user ftp inside a chroot: it must be able to walk in.
  chmodSync(dir, 0o755);
  const root = join(dir, "ftproot");
  const empty = join(dir, "empty");
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(empty, { mode: 0o755 });
  const port = await freePort();
  const pasv = await freePort();
  const conf = join(dir, "vsftpd.conf");
  writeFileSync(
    conf,
    [
      "listen=YES",
      "listen_ipv6=NO",
      "listen_address=127.0.0.1",
      `listen_port=${port}`,
      "background=NO",
      "anonymous_enable=YES",
      "local_enable=NO",
      "write_enable=NO",
      `anon_root=${root}`,
      "no_anon_password=YES",
      "pasv_enable=YES",
      `pasv_min_port=${pasv}`,
      `pasv_max_port=${pasv + 20}`,
      "seccomp_sandbox=NO",
      `secure_chroot_dir=${empty}`,
      "nopriv_user=nobody",
      "ftp_username=ftp",
      "xferlog_enable=NO",
      "",
    ].join("\n"),
  );
  const peer = new PeerProcess("vsftpd", [conf]);
  try {
    await waitUntil("vsftpd", () => tcpAccepts(port), peer);
  } catch (err) {
    await peer.stop();
    removeTempDir(dir);
    throw err;
  }
  return {
    port,
    put(name, content) {
      const path = join(root, name);
      writeFileSync(path, content);
      chmodSync(path, 0o644);
    },
    freeze: () => peer.signal("SIGSTOP"),
    thaw: () => peer.signal("SIGCONT"),
    async stop() {
      await peer.stop();
      removeTempDir(dir);
    },
  };
}
