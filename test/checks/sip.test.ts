// sipChecker against SIPp (Debian sip-tester) playing a user agent server that answers
// OPTIONS, over UDP and over TCP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { sipChecker, sipOptionsRequest } from "../../src/checks/sip.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentUdpSocket } from "./peers/silent.js";
import { type SippPeer, startSipp } from "./peers/sipp.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

let ok: SippPeer;
let notFound: SippPeer;
let okTcp: SippPeer;
let hung: SilentPeer & { received: () => number };

beforeAll(async () => {
  [ok, notFound, okTcp, hung] = await Promise.all([
    startSipp("200 OK"),
    startSipp("404 Not Found"),
    startSipp("200 OK", "tcp"),
    silentUdpSocket(),
  ]);
});

afterAll(async () => {
  await Promise.all([ok?.stop(), notFound?.stop(), okTcp?.stop(), hung?.close()]);
});

describe("sipChecker against SIPp", () => {
  it("is up when the real answers OPTIONS with 200 OK over UDP", async () => {
    const spec = negotiateSpec("sip", { login: "probe@example.test" });
    const result = await sipChecker(loopbackTarget(ok.port, "udp"), spec, quiet());
    expect(result).toMatchObject({ ok: true, reason: "SIP SIP/2.0 200 OK" });
  });

  it("is up over TCP when the virtual is tcp", async () => {
    const spec = negotiateSpec("sip", { login: "probe@example.test" });
    const result = await sipChecker(loopbackTarget(okTcp.port, "tcp"), spec, quiet());
    expect(result).toMatchObject({ ok: true, reason: "SIP SIP/2.0 200 OK" });
  });

  it("uses ldirectord's default login when none is set", async () => {
    const result = await sipChecker(loopbackTarget(ok.port, "udp"), negotiateSpec("sip"), quiet());
    expect(result.ok).toBe(true);
  });

  it("is down with the status line when the real answers 404", async () => {
    const spec = negotiateSpec("sip", { login: "probe@example.test" });
    const result = await sipChecker(loopbackTarget(notFound.port, "udp"), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: "SIP SIP/2.0 404 Not Found" });
  });

  it("is down over TCP when nothing listens", async () => {
    const spec = negotiateSpec("sip", { login: "probe@example.test" });
    const result = await sipChecker(loopbackTarget(await freePort(), "tcp"), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("is down over UDP when nothing listens (ICMP refusal or timeout)", async () => {
    const spec = negotiateSpec("sip", { login: "probe@example.test", negotiateTimeoutMs: 500 });
    const result = await underDeadline(
      "negotiate",
      sipChecker,
      loopbackTarget(await freePort(true), "udp"),
      spec,
    );
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/ECONNREFUSED|timeout after 500 ms/);
  });

  it("gives up at negotiatetimeout when the real swallows the request", async () => {
    const startedAt = performance.now();
    const spec = negotiateSpec("sip", { login: "probe@example.test", negotiateTimeoutMs: 400 });
    const result = await underDeadline("negotiate", sipChecker, loopbackTarget(hung.port, "udp"), spec);
    expect(result).toMatchObject({ ok: false, reason: "timeout after 400 ms" });
    expect(hung.received()).toBe(1);
    expect(performance.now() - startedAt).toBeLessThan(400 + 3000);
  });
});

describe("sipOptionsRequest", () => {
  it("builds ldirectord's OPTIONS with a bracketed IPv6 Via and rport", () => {
    const text = sipOptionsRequest({
      login: "a@b",
      transport: "UDP",
      localAddress: "::1",
      localPort: 5060,
      branch: "x1",
      tag: "t1",
      callId: "c1",
    });
    expect(text.split("\r\n")).toEqual([
      "OPTIONS sip:a@b SIP/2.0",
      "Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bKx1;rport",
      "Max-Forwards: 70",
      "To: <sip:a@b>",
      "From: <sip:a@b>;tag=t1",
      "Call-ID: c1",
      "CSeq: 1 OPTIONS",
      "Contact: <sip:a@b>",
      "Accept: application/sdp",
      "Content-Length: 0",
      "",
      "",
    ]);
  });
});
