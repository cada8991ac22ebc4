// Where an http, https or http_proxy check goes, as ldirectord's ld_setup (2319–2344)
// and check_http (2975–3014) build it. Pure.
import type { CheckSpec } from "../../config/types.js";
import type { CheckTarget } from "../types.js";
import { bracketed } from "./address.js";

export interface HttpPlan {
  /** The URL asked for first. */
  url: URL;
  /** http_proxy only: the real, spoken to as an HTTP proxy. */
  proxy?: URL;
  /**
   * The Host header of the first request: virtualhost, else the real's address (IPv6 in
   * brackets), without a port, as check_http sets it. Unset for http_proxy (the target
   * URL's authority). LWP drops it on redirects, and so does ldirector.
   */
  host?: string;
}

export function httpPlan(target: CheckTarget, spec: CheckSpec): HttpPlan | { error: string } {
  // ldirectord strips one leading "/" (`s/^\///g`): "/http://a/b" is an absolute URL.
  const request = spec.request.replace(/^\//, "");
  try {
    if (spec.service === "http_proxy") {
      if (!/^https?:\/\//i.test(request)) {
        return { error: `http_proxy needs an absolute request URL, not "${request}"` };
      }
      return {
        url: new URL(request),
        proxy: new URL(`http://${bracketed(target.address)}:${target.port}/`),
      };
    }
    const host = spec.virtualHost ?? bracketed(target.address);
    if (/^https?:\/\//i.test(request)) return { url: new URL(request), host };
    const scheme = spec.service === "https" ? "https" : "http";
    return { url: new URL(`${scheme}://${bracketed(target.address)}:${target.port}/${request}`), host };
  } catch {
    return { error: `bad check URL from request "${spec.request}"` };
  }
}
