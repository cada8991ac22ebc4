// A real PostgreSQL 15 on 127.0.0.1 with a scram-sha-256 password user, for the pgsql
// checker. PostgreSQL refuses to run as root, so initdb and postgres run as `postgres`.
import { chownSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, PeerProcess, startInTempDir, run, tcpAccepts, userIds, waitUntil } from "./process.js";

export interface PostgresPeer {
  port: number;
  user: string;
  password: string;
  database: string;
  process: PeerProcess;
  stop(): Promise<void>;
}

function postgresBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const path = join(root, v, "bin", name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} not found under ${root}`);
}

export async function startPostgres(): Promise<PostgresPeer> {
  // SIGINT is PostgreSQL's fast shutdown: it frees its shared memory, SIGKILL would leak it.
  return startInTempDir("pgsql", "SIGINT", async (dir, track) => {
    const ids = userIds("postgres");
    chownSync(dir, ids.uid, ids.gid);
    const data = join(dir, "data");
    run(
      postgresBin("initdb"),
      [
        "-D",
        data,
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--no-sync",
        "-E",
        "UTF8",
      ],
      { ...ids, cwd: dir },
    );
    const port = await freePort();
    const proc = track(
      new PeerProcess(
        postgresBin("postgres"),
        ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        { ...ids, cwd: dir },
      ),
    );
    await waitUntil("postgres", () => tcpAccepts(port), proc);
    const peer = { port, user: "checker", password: "s3cret-pw", database: "ldir" };
    const psql = (db: string, sql: string) =>
      run(
        postgresBin("psql"),
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", "postgres", "-d", db],
        {
          ...ids,
          cwd: dir,
          input: sql,
        },
      );
    // pg_isready-style wait: the socket accepts before the database takes queries.
    await waitUntil(
      "postgres queries",
      () => {
        psql("postgres", "SELECT 1;");
        return true;
      },
      proc,
    );
    psql(
      "postgres",
      `CREATE ROLE ${peer.user} LOGIN PASSWORD '${peer.password}';\nCREATE DATABASE ${peer.database} OWNER ${peer.user};\n`,
    );
    psql(
      peer.database,
      `CREATE TABLE health (ok int);\nINSERT INTO health VALUES (1);\nCREATE TABLE empty (ok int);\nGRANT SELECT ON health, empty TO ${peer.user};\n`,
    );
    return {
      ...peer,
      process: proc,
    };
  });
}
