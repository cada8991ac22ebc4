import { describe, expect, it } from "vitest";
import { httpPlan } from "../../../src/checks/lib/http-plan.js";
import { spec, target } from "../core/fixtures.js";

const href = (p: ReturnType<typeof httpPlan>) => ("error" in p ? p.error : p.url.href);

describe("httpPlan", () => {
  it("builds <scheme>://<real>:<checkport>/<request> with the real's address as Host", () => {
    const plan = httpPlan(target(8080), spec({ request: "/health/check.php?x=1" }));
    expect(plan).toMatchObject({ host: "127.0.0.1" });
    expect(href(plan)).toBe("http://127.0.0.1:8080/health/check.php?x=1");
    expect(href(httpPlan(target(8443), spec({ service: "https", request: "/" })))).toBe(
      "https://127.0.0.1:8443/",
    );
  });
  it("puts IPv6 reals in brackets, in the URL and in Host", () => {
    const plan = httpPlan(target(80, { address: "2001:db8::5", family: "inet6" }), spec({ request: "/x" }));
    expect(plan).toMatchObject({ host: "[2001:db8::5]" });
    expect(href(plan)).toBe("http://[2001:db8::5]/x");
  });
  it("uses virtualhost as Host, without a port", () => {
    expect(httpPlan(target(8080), spec({ virtualHost: "www.example.com" }))).toMatchObject({
      host: "www.example.com",
    });
  });
  it("takes a request that is an absolute URL as the whole URL, with or without ldirectord's slash", () => {
    expect(href(httpPlan(target(80), spec({ request: "/http://10.1.1.1:81/a" })))).toBe(
      "http://10.1.1.1:81/a",
    );
    expect(href(httpPlan(target(80), spec({ request: "https://10.1.1.1/b" })))).toBe("https://10.1.1.1/b");
  });
  it("strips only one leading slash, as s/^\\///g does", () => {
    expect(href(httpPlan(target(80), spec({ request: "//double" })))).toBe("http://127.0.0.1//double");
  });
  it("http_proxy: the request URL through the real as proxy, no Host override", () => {
    const plan = httpPlan(
      target(3128),
      spec({ service: "http_proxy", request: "/http://www.example.com/", virtualHost: "ignored" }),
    );
    expect(href(plan)).toBe("http://www.example.com/");
    expect("host" in plan).toBe(false);
    expect("error" in plan ? "" : plan.proxy?.href).toBe("http://127.0.0.1:3128/");
  });
  it("http_proxy: a relative request is an error that says what is needed", () => {
    expect(href(httpPlan(target(3128), spec({ service: "http_proxy", request: "/index.html" })))).toBe(
      'http_proxy needs an absolute request URL, not "index.html"',
    );
  });
});
