// Shared test inputs: a name-resolver stub (a table of names, no DNS) and a small
// services database, so config tests are hermetic and fast.
import { ConfigErrors } from "../../src/config/errors.js";
import { type LoadOptions, parseConfigText } from "../../src/config/load.js";
import { type NameResolver, parseServices } from "../../src/config/resolve.js";
import type { Config, Family } from "../../src/config/types.js";

const HOSTS: Record<string, { inet?: string; inet6?: string }> = {
  localhost: { inet: "127.0.0.1", inet6: "::1" },
  "www.example.com": { inet: "192.0.2.80", inet6: "2001:db8::80" },
  sql01: { inet: "10.0.9.1" },
  sql03: { inet: "10.0.9.3" },
  web1: { inet: "10.0.0.11" },
};

export const stubResolver: NameResolver = {
  async lookup(host: string, family: Family) {
    const address = HOSTS[host]?.[family];
    if (address === undefined) throw new Error(`ENOTFOUND ${host}`);
    return address;
  },
};

export const services = parseServices(`
ftp		21/tcp
smtp		25/tcp		mail
domain		53/tcp
domain		53/udp
http		80/tcp		www
pop3		110/tcp		pop-3
https		443/tcp
https		443/udp
sip		5060/tcp
sip		5060/udp
squid		3128/tcp
`);

export const opts: LoadOptions = { resolver: stubResolver, services, hostname: "director1" };

export const FILE = "/etc/ldirector/test.cf";

export function load(text: string): Promise<Config> {
  return parseConfigText(text, FILE, opts);
}

/** The error messages of a file that must not load. */
export async function errorsOf(text: string): Promise<string[]> {
  try {
    await load(text);
  } catch (e) {
    if (e instanceof ConfigErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  throw new Error("expected ConfigErrors, but the file loaded");
}

/** A virtual block around body lines (tab-indented). */
export function block(header: string, ...body: string[]): string {
  return [header, ...body.map((l) => `\t${l}`)].join("\n") + "\n";
}
