// The registry of every checker: (checktype, service) → Checker.
import type { Service } from "../config/types.js";
import { connectChecker } from "./connect.js";
import { dnsChecker } from "./dns.js";
import { externalChecker } from "./external.js";
import { ftpChecker } from "./ftp.js";
import { httpChecker } from "./http.js";
import { imapChecker } from "./imap.js";
import { ldapChecker } from "./ldap.js";
import { mysqlChecker } from "./mysql.js";
import { nntpChecker } from "./nntp.js";
import { pgsqlChecker } from "./pgsql.js";
import { pingChecker } from "./ping.js";
import { popChecker } from "./pop.js";
import { radiusChecker } from "./radius.js";
import { type CheckerRegistry, checkerFor, noneChecker, oracleChecker } from "./registry.js";
import { simpletcpChecker } from "./simpletcp.js";
import { sipChecker } from "./sip.js";
import { smtpChecker } from "./smtp.js";
import type { Checker } from "./types.js";

export type { CheckerRegistry, CheckKind } from "./registry.js";
export { checkerFor, noneChecker, oracleChecker } from "./registry.js";

/** Every negotiate service; `satisfies` makes a service added to the Config model a compile error here. */
const negotiate = Object.freeze({
  dns: dnsChecker,
  ftp: ftpChecker,
  http: httpChecker,
  https: httpChecker,
  http_proxy: httpChecker,
  imap: imapChecker,
  imaps: imapChecker,
  ldap: ldapChecker,
  ldaps: ldapChecker,
  mysql: mysqlChecker,
  nntp: nntpChecker,
  none: noneChecker,
  oracle: oracleChecker,
  pgsql: pgsqlChecker,
  pop: popChecker,
  pops: popChecker,
  radius: radiusChecker,
  simpletcp: simpletcpChecker,
  sip: sipChecker,
  smtp: smtpChecker,
  submission: smtpChecker,
} satisfies Record<Service, Checker>);

export const checkers: CheckerRegistry = Object.freeze({
  // connectChecker itself turns a connect on a udp virtual into a ping, as ldirectord does.
  connect: connectChecker,
  ping: pingChecker,
  external: externalChecker,
  negotiate,
});

/** The checker for checktype=negotiate with this `service=`. */
export function negotiateCheckerFor(service: Service, registry: CheckerRegistry = checkers): Checker {
  return checkerFor(registry, "negotiate", service);
}
