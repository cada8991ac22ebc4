import { describe, expect, it } from "vitest";
import { connectChecker } from "../../src/checks/connect.js";
import { externalChecker } from "../../src/checks/external.js";
import { httpChecker } from "../../src/checks/http.js";
import { imapChecker } from "../../src/checks/imap.js";
import { checkers, negotiateCheckerFor } from "../../src/checks/index.js";
import { ldapChecker } from "../../src/checks/ldap.js";
import { pingChecker } from "../../src/checks/ping.js";
import { popChecker } from "../../src/checks/pop.js";
import { smtpChecker } from "../../src/checks/smtp.js";
import { SERVICES } from "../../src/vocabulary.js";
import { fixedRegistry, makeSpec, makeTarget } from "../health/fixtures.js";

describe("the checker registry", () => {
  it("has a checker for every service", () => {
    for (const s of SERVICES) expect(typeof checkers.negotiate[s], s).toBe("function");
    expect(Object.keys(checkers.negotiate).sort()).toEqual([...SERVICES].sort());
  });

  it("shares one checker between a protocol and its TLS or proxy variant", () => {
    expect(negotiateCheckerFor("http")).toBe(httpChecker);
    expect(negotiateCheckerFor("https")).toBe(httpChecker);
    expect(negotiateCheckerFor("http_proxy")).toBe(httpChecker);
    expect(negotiateCheckerFor("smtp")).toBe(smtpChecker);
    expect(negotiateCheckerFor("submission")).toBe(smtpChecker);
    expect(negotiateCheckerFor("pops")).toBe(popChecker);
    expect(negotiateCheckerFor("imaps")).toBe(imapChecker);
    expect(negotiateCheckerFor("ldaps")).toBe(ldapChecker);
  });

  it("wires connect, ping and external", () => {
    expect(checkers.connect).toBe(connectChecker);
    expect(checkers.ping).toBe(pingChecker);
    expect(checkers.external).toBe(externalChecker);
  });

  it("service none is always up and oracle always down, without touching the network", async () => {
    const signal = new AbortController().signal;
    const target = makeTarget({ address: "192.0.2.1", port: 9 });
    const none = await negotiateCheckerFor("none")(target, makeSpec({ service: "none" }), signal);
    expect(none).toMatchObject({ ok: true, reason: "service none: not checked" });
    const oracle = await negotiateCheckerFor("oracle")(target, makeSpec({ service: "oracle" }), signal);
    expect(oracle).toMatchObject({ ok: false, reason: "service=oracle is not supported" });
  });

  it("looks up an injected registry when given one", () => {
    const registry = fixedRegistry();
    expect(negotiateCheckerFor("http", registry)).toBe(registry.negotiate.http);
  });
});
