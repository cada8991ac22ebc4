// E-mail alerts as ldirectord sends them (emailalert=, emailalertfreq=,
// emailalertstatus=, emailalertfrom=, smtp=): one mail per change of a real in the
// table, and "Inaccessible real server" reminders while a real stays out.
//
// Unlike ldirectord, sending never blocks the checks: event() queues the mail and
// returns; a slow or dead mail server costs at most its timeout per queued mail, and
// a failure is logged, never thrown.

import { hostname as osHostname, userInfo } from "node:os";
import type { Transporter } from "nodemailer";
import type { Logger } from "pino";
import type { AlertStatus, Config, VirtualService } from "../config/types.js";

export type AlertKind = "quiescent" | "deleted" | "restored" | "added" | "purged";

export interface AlertDetail {
  /** The weight the real was set to, for "restored" and "added" subjects. */
  weight?: number;
  /** The server is the virtual's fallback, not one of its reals. */
  fallback?: boolean;
  /** For "purged": why ("start", "stop"), as ldirectord's `Purged real server (stop): …`. */
  purgeTag?: string;
}

export interface AlertsOptions {
  logger?: Logger;
  /** Milliseconds since the epoch; injected so reminders can be tested. */
  now?: () => number;
  /** Host name in From and the body. */
  hostname?: string;
  /** The sendmail binary used when a virtual has no smtp=. */
  sendmailPath?: string;
  /** Opportunistic STARTTLS with smtp= servers; off by default (ldirectord's Net::SMTP never does it). */
  smtpStartTls?: boolean;
  /** Connect, greeting and socket timeout for smtp= servers. */
  smtpTimeoutMs?: number;
  /** Mails waiting beyond this are dropped with a log line, so a dead mail server cannot grow memory. */
  maxQueued?: number;
}

/** What a message is, before it meets a transport. Exported for tests and `ldirector check`. */
export interface AlertMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** smtp= of the virtual (host or host:port); undefined = sendmail. */
  smtp?: string;
}

interface Reminder {
  v: VirtualService;
  realText: string;
  alertTime: number;
}

/** ldirectord's get_virtual: `10.0.0.1:80`, `[2001:db8::1]:80`, or the mark. */
export function virtualText(v: VirtualService): string {
  if (v.fwmark !== undefined) return String(v.fwmark);
  const address = v.family === "inet6" ? `[${v.address}]` : `${v.address}`;
  return `${address}:${v.port}`;
}

/** The subject ldirectord's _remove_service / _restore_service / purge give, without the [servicename] prefix. */
export function alertSubject(
  kind: AlertKind,
  v: VirtualService,
  realText: string,
  detail: AlertDetail = {},
): string {
  const where = `${detail.fallback ? "fallback" : "real"} server: ${realText} (${virtualText(v)})`;
  const weight = detail.weight === undefined ? "" : ` (Weight set to ${detail.weight})`;
  switch (kind) {
    case "quiescent":
      return `Quiescent ${where} (Weight set to 0)`;
    case "deleted":
      return `Deleted ${where}`;
    case "restored":
      return `Restored ${where}${weight}`;
    case "added":
      return `Added ${where}${weight}`;
    case "purged":
      return `Purged real server (${detail.purgeTag ?? "stop"}): ${realText} (${virtualText(v)})`;
  }
}

export class Alerts {
  private config: Config;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private readonly hostname: string;
  private readonly options: AlertsOptions;
  private readonly reminders = new Map<string, Reminder>();
  private readonly transports = new Map<string, Transporter>();
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(config: Config, options: AlertsOptions = {}) {
    this.config = config;
    this.options = options;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.hostname = options.hostname ?? osHostname();
  }

  /** After a reload: new global settings; reminders follow their virtual by id or are dropped. */
  update(config: Config): void {
    this.config = config;
    const byId = new Map(config.virtuals.map((v) => [v.id, v]));
    for (const [key, r] of this.reminders) {
      const v = byId.get(r.v.id);
      if (v) r.v = v;
      else this.reminders.delete(key);
    }
  }

  /** A real (or the fallback) changed in the table. Queues the mail; never blocks, never throws. */
  event(
    kind: AlertKind,
    v: VirtualService,
    realText: string,
    daemonStatus: AlertStatus,
    detail: AlertDetail = {},
  ): void {
    const key = `${realText} (${virtualText(v)})`;
    // As ldirectord: quiescing or deleting a real starts the reminder clock (unless
    // reminders are off); anything that brings it back, or concerns the fallback, stops it.
    const down = (kind === "quiescent" || kind === "deleted") && !detail.fallback;
    if (down && v.emailAlertFreq > 0) this.reminders.set(key, { v, realText, alertTime: this.now() });
    else this.reminders.delete(key);
    this.send(v, alertSubject(kind, v, realText, detail), daemonStatus);
  }

  /** Sends the "Inaccessible real server" reminders that are due. Call it now and then (every pass). */
  tick(now: number = this.now(), daemonStatus: AlertStatus = "running"): void {
    for (const [key, r] of this.reminders) {
      const freq = r.v.emailAlertFreq;
      if (freq <= 0) {
        this.reminders.delete(key);
        continue;
      }
      if (now - r.alertTime < freq * 1000) continue;
      r.alertTime = now;
      this.send(r.v, `Inaccessible real server: ${key}`, daemonStatus);
    }
  }

  /** Resolves when every queued mail was sent or failed. */
  async flush(): Promise<void> {
    await this.queue;
  }

  /** Flushes, then closes the SMTP connections. */
  async close(): Promise<void> {
    await this.flush();
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }

  /** The mail for a subject, or undefined when the status filter or recipients say none. */
  mailFor(v: VirtualService, subject: string, daemonStatus: AlertStatus): AlertMail | undefined {
    if (!v.emailAlertStatus.includes(daemonStatus)) return undefined;
    const to = v.emailAlert
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (to.length === 0) return undefined;
    const fullSubject = v.serviceName ? `[${v.serviceName}] ${subject}` : subject;
    let text = `ldirector host: ${this.hostname}\nLog-Message: ${fullSubject}\nDaemon-Status: ${daemonStatus}\n`;
    let details = "";
    if (v.serviceName) details += `Service name: ${v.serviceName}\n`;
    if (v.comment) details += `Comment: ${v.comment}\n`;
    if (details) text += `\n${details}`;
    return {
      from: this.config.global.emailAlertFrom || `${userName()}@${this.hostname}`,
      to,
      subject: fullSubject,
      text,
      ...(v.smtp ? { smtp: v.smtp } : {}),
    };
  }

  private send(v: VirtualService, subject: string, daemonStatus: AlertStatus): void {
    const mail = this.mailFor(v, subject, daemonStatus);
    if (!mail) return;
    const max = this.options.maxQueued ?? 100;
    if (this.queued >= max) {
      this.logger?.warn(
        { subject: mail.subject, queued: this.queued },
        "emailalert: queue full, mail dropped",
      );
      return;
    }
    this.logger?.info({ subject: mail.subject, to: mail.to }, "emailalert");
    this.queued++;
    this.queue = this.queue.then(async () => {
      try {
        await (
          await this.transport(mail.smtp)
        ).sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
        });
      } catch (err) {
        this.logger?.error(
          { subject: mail.subject, smtp: mail.smtp ?? "sendmail", err: (err as Error).message },
          "emailalert: failed to send",
        );
      } finally {
        this.queued--;
      }
    });
  }

  private async transport(smtp: string | undefined): Promise<Transporter> {
    const key = smtp ?? "";
    let t = this.transports.get(key);
    if (t) return t;
    // Loaded at the first mail, not at start: most directors never send one, and the
    // library costs ~80 ms of start-up (seconds on a slow machine).
    const { default: nodemailer } = await import("nodemailer");
    if (smtp === undefined) {
      t = nodemailer.createTransport({
        sendmail: true,
        path: this.options.sendmailPath ?? "/usr/sbin/sendmail",
        newline: "unix",
      });
    } else {
      const { host, port } = parseSmtp(smtp);
      const timeout = this.options.smtpTimeoutMs ?? 10_000;
      t = nodemailer.createTransport({
        host,
        port,
        secure: false,
        ignoreTLS: !this.options.smtpStartTls,
        // A mail relay on a LAN rarely has a certificate for the name we know it by.
        tls: { rejectUnauthorized: false },
        name: this.hostname,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      });
    }
    this.transports.set(key, t);
    return t;
  }
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; port 25 by default (Net::SMTP takes the same forms). */
export function parseSmtp(smtp: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(smtp);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] ? Number(bracketed[2]) : 25 };
  const hostPort = /^([^:]+):(\d+)$/.exec(smtp);
  if (hostPort) return { host: hostPort[1] as string, port: Number(hostPort[2]) };
  return { host: smtp, port: 25 };
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid${process.getuid?.() ?? ""}`;
  }
}
