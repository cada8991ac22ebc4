// A real FreeRADIUS 3 on 127.0.0.1 (a minimal radiusd.conf: pap + files, one client,
// one user), for the radius checker. reject_delay = 0 so an Access-Reject comes at once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, PeerProcess, startInTempDir, waitUntil } from "./process.js";

export interface FreeRadiusPeer {
  port: number;
  secret: string;
  user: string;
  password: string;
  process: PeerProcess;
  stop(): Promise<void>;
}

export async function startFreeRadius(): Promise<FreeRadiusPeer> {
  return startInTempDir("radius", "SIGTERM", async (dir, track) => {
    const port = await freePort(true);
    const peer = { port, secret: "shared-s3cret", user: "checker", password: "s3cret-pw" };
    writeFileSync(join(dir, "dictionary"), "");
    writeFileSync(join(dir, "users"), `${peer.user} Cleartext-Password := "${peer.password}"\n`);
    writeFileSync(
      join(dir, "radiusd.conf"),
      `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}
raddbdir = ${dir}
radacctdir = ${dir}
name = freeradius
confdir = ${dir}
modconfdir = ${dir}
run_dir = ${dir}
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}
client loopback {
  ipaddr = 127.0.0.1
  secret = ${peer.secret}
}
modules {
  pap {
  }
  files {
    filename = ${dir}/users
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    pap
  }
}
`,
    );
    const proc = track(new PeerProcess("freeradius", ["-f", "-l", "stdout", "-d", dir]));
    await waitUntil("freeradius", () => proc.output.includes("Ready to process requests"), proc);
    return {
      ...peer,
      process: proc,
    };
  });
}
