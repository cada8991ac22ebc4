// What the scenarios share (scenarios.mjs, pair.mjs): check timing with its TCG slack, the
// config they write, starting ldirector until its table is in, comparing, downloading.
import { until } from "./lab.mjs";

export const CHECK_INTERVAL = 2;
export const CHECK_TIMEOUT = 2;
/** A real's state change reaches the table within one interval plus one timeout; TCG slack on top. */
export const DETECT_S = CHECK_INTERVAL + CHECK_TIMEOUT;
export const SLACK_S = 20;
/**
 * Daemon start and first checks. Under TCG node needs 20–40 s just to load the CLI (30x
 * the host's time), more while other scenarios' daemons share the two vCPUs.
 */
export const SETTLE_MS = 240_000;
export const RESYNC_S = 4;

export function config(lab, { globals = [], virtuals }) {
  return [
    `checkinterval=${CHECK_INTERVAL}`,
    `checktimeout=${CHECK_TIMEOUT}`,
    `negotiatetimeout=${CHECK_TIMEOUT}`,
    "failurecount=1",
    ...globals,
    ...virtuals.flatMap(({ virtual, reals, fwd = "masq", scheduler = "rr", lines = [], check = true }) => [
      `virtual=${virtual ?? `${lab.vip}:80`}`,
      ...reals.map(
        ([i, w = 1, port = 80]) => `    real=${lab.realAddress(i)}${port ? `:${port}` : ""} ${fwd} ${w}`,
      ),
      `    scheduler=${scheduler}`,
      ...(check ? ["    service=http", '    request="check.html"', '    receive="ok"'] : []),
      ...lines,
    ]),
  ];
}

export const count = (xs, x) => xs.filter((y) => y === x).length;
export const dests = async (lab, service = `-t ${lab.vip}:80`) =>
  (await lab.table()).find((s) => s.service === service)?.dests ?? {};
export const destKeys = async (lab, service) => Object.keys(await dests(lab, service)).sort();
export const addr = (lab, i, port = 80) => `${lab.realAddress(i)}:${port}`;
export const failed = (bodies) => bodies.filter((b) => b.startsWith("error"));

export async function startWith(lab, lines, wantIn) {
  lab.writeConfig(lines);
  lab.startDaemon();
  await until(
    `${wantIn.join(", ")} in the table`,
    async () => {
      const have = Object.keys(Object.assign({}, ...(await lab.table()).map((s) => s.dests)));
      return wantIn.every((d) => have.includes(d));
    },
    SETTLE_MS,
  ).catch((e) => {
    throw new Error(`${e.message}\ndaemon said:\n${lab.daemonOutput.slice(-3000)}`);
  });
}

export function expectEqual(what, actual, expected, seen) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e)
    throw new Error(
      `${what}: expected ${e}, got ${a}${seen ? `; the answers: ${JSON.stringify(seen)}` : ""}`,
    );
}

/** A slow download through the VIP: resolves with curl's "size code" or an error. */
export async function download(lab, path, rate = "1M") {
  try {
    return (
      await lab.inNs(
        lab.client,
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "--limit-rate",
        rate,
        "-m",
        "120",
        "-w",
        "%{size_download} %{http_code}",
        `http://${lab.vip}/${path}`,
      )
    ).trim();
  } catch (e) {
    return `error: ${(e.stderr || e.message).trim()}`;
  }
}
export const BIG = 6 * 1024 * 1024;
export const bigFile = () => ({ "big.bin": Buffer.alloc(BIG, 7) });
