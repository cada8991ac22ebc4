// A real MariaDB on 127.0.0.1 with a password user, for the mysql checker.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, PeerProcess, startInTempDir, run, tcpAccepts, waitUntil } from "./process.js";

export interface MariaDbPeer {
  port: number;
  user: string;
  password: string;
  database: string;
  process: PeerProcess;
  stop(): Promise<void>;
}

export async function startMariaDb(): Promise<MariaDbPeer> {
  return startInTempDir("mariadb", "SIGTERM", async (dir, track) => {
    const data = join(dir, "data");
    const socket = join(dir, "sock");
    run("mariadb-install-db", [
      "--no-defaults",
      `--datadir=${data}`,
      "--auth-root-authentication-method=normal",
      "--user=root",
      "--skip-test-db",
    ]);
    const port = await freePort();
    const proc = track(
      new PeerProcess("mariadbd", [
        "--no-defaults",
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        "--user=root",
        "--skip-log-bin",
        "--innodb-buffer-pool-size=16M",
        `--pid-file=${join(dir, "pid")}`,
      ]),
    );
    await waitUntil("mariadbd", async () => existsSync(socket) && (await tcpAccepts(port)), proc);
    const peer = { port, user: "checker", password: "s3cret-pw", database: "ldir" };
    run("mariadb", ["--no-defaults", "-S", socket, "-uroot"], {
      input: [
        `CREATE USER '${peer.user}'@'%' IDENTIFIED BY '${peer.password}';`,
        `CREATE DATABASE ${peer.database};`,
        `GRANT ALL ON ${peer.database}.* TO '${peer.user}'@'%';`,
        `CREATE TABLE ${peer.database}.health (ok INT);`,
        `INSERT INTO ${peer.database}.health VALUES (1);`,
        `CREATE TABLE ${peer.database}.empty (ok INT);`,
      ].join("\n"),
    });
    return {
      ...peer,
      process: proc,
    };
  });
}
