// The Config model: what an ldirectord.cf means once defaults, inheritance, name
// resolution and ranges are applied. Everything below config/ is built from these
// plain values; nothing here knows about IPVS or about how checks are run.
//
// Vocabulary is ldirectord's (virtual, real, fallback, checktype, service), not the
// kernel's: ipvs/ has its own words and director/plan.ts translates.
import type { Forward, Protocol, Scheduler, Service } from "../vocabulary.js";

/** Where a value came from, for messages a person can act on. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type Family = "inet" | "inet6";

// Protocol, Forward, Service and Scheduler are lists of words shared with ipvs/ and
// checks/: written once in src/vocabulary.ts.
export type { Forward, Protocol, Scheduler, Service } from "../vocabulary.js";

/** `checktype=`. A number N in the file is `combined` with `connectCount` N. */
export type CheckType = "connect" | "negotiate" | "combined" | "ping" | "off" | "on" | "external";

export type HttpMethod = "GET" | "HEAD";

/** Daemon states in which e-mail alerts are sent (`emailalertstatus=`). */
export type AlertStatus = "starting" | "running" | "stopping" | "reloading";

/**
 * Everything a checker needs to know about how to check one real. Resolved per real:
 * a per-real `"request", "receive"` is already folded in, timeouts are already resolved
 * through ldirectord's precedence (docs/ldirectord-compat.md, "Timeouts"), and `port`
 * is the check port (ld_checkport).
 */
export interface CheckSpec {
  type: CheckType;
  /** For `combined` (checktype=N): connects between two negotiates. 0 otherwise. */
  connectCount: number;
  service: Service;
  /** URI path / DNS name / SQL query / LDAP base / FTP file / simpletcp payload. Starts with "/" (ldirectord prepends it). */
  request: string;
  /** A regular expression (JavaScript syntax, validated at load); "" means "do not check the body". */
  receive: string;
  httpMethod: HttpMethod;
  /** HTTP Host header (and, with tlsverify, the TLS server name). Unset: the real's address. */
  virtualHost?: string;
  /** `checkport=` if set; else the real's port if > 0; else the service's default port; else 0. */
  port: number;
  login: string;
  /** Secret: never printed, logged or serialised (see config/redact.ts). */
  passwd: string;
  database: string;
  /** RADIUS shared secret. Secret, as passwd. */
  secret: string;
  /** For checktype=external: the command (an executable path, then arguments), run without a shell. */
  command: string;
  /**
   * checktype=external-perl (type is then "external"): `command` is the path of a Perl
   * script, run as `perl SCRIPT VIP VPORT RIP RPORT` where ldirectord evals it in-process.
   */
  perl?: true;
  /** checktimeout, resolved, in ms: connect, ping (per attempt), external. */
  checkTimeoutMs: number;
  /** negotiatetimeout, resolved, in ms: every negotiate check. */
  negotiateTimeoutMs: number;
  /** ICMP attempts for ping checks (checkcount). */
  checkCount: number;
  /** Extension `tlsverify=yes`: verify the https/ldaps/pops/imaps certificate (default no, as ldirectord meant). */
  tlsVerify: boolean;
  /** Extension `tlscafile=`: CA bundle used when tlsVerify is on. */
  tlsCaFile?: string;
}

export interface RealServer {
  /** Numeric address, without brackets. */
  address: string;
  family: Family;
  /** 0 when the line gives no port (the usual case for fwmark virtuals). */
  port: number;
  forward: Forward;
  /** 0 is allowed (the real is configured but gets no new connections). */
  weight: number;
  /** ipvsadm -x (u:N); 0 = no limit. */
  upperThreshold: number;
  /** ipvsadm -y (l:N); 0 = no limit. */
  lowerThreshold: number;
  /** The per-real `"request", "receive"` if the line had one (already folded into `check`). */
  request?: string;
  receive?: string;
  /** The check for this real, fully resolved. */
  check: CheckSpec;
  location: SourceLocation;
}

export interface FallbackServer {
  address: string;
  family: Family;
  /** Filled with the virtual's port when the line gives none. */
  port: number;
  forward: Forward;
  location: SourceLocation;
}

export interface VirtualService {
  /** ldirectord's id of the resolved service: `tcp:10.0.0.1:80`, `udp:[2001:db8::1]:53`, `fwm:5`, `fwm6:5`. */
  id: string;
  family: Family;
  protocol: Protocol;
  /** Numeric address without brackets; absent for firewall-mark virtuals. */
  address?: string;
  /** 0 for firewall-mark virtuals. */
  port: number;
  /** Set for firewall-mark virtuals only. */
  fwmark?: number;
  scheduler: Scheduler;
  /** `persistent=` seconds; absent = not persistent. */
  persistent?: number;
  /** `netmask=`: dotted IPv4 mask or an IPv6 prefix length as text. Only meaningful with persistent. */
  netmask?: string;
  /** `schedflags=`, e.g. "sh-fallback,sh-port". */
  schedFlags?: string;
  /** One-packet scheduling: ops=yes on a udp virtual. */
  ops: boolean;
  reals: RealServer[];
  fallback?: FallbackServer;
  fallbackCommand?: string;
  /** The virtual's own check (what a real without per-real overrides gets). */
  check: CheckSpec;
  /** Seconds. ldirectord honours a per-virtual value only with fork=yes; ldirector always does. */
  checkInterval: number;
  failureCount: number;
  quiescent: boolean;
  cleanStop: boolean;
  /** Recipients, comma-separated as written; "" = no mail. */
  emailAlert: string;
  emailAlertFreq: number;
  emailAlertStatus: AlertStatus[];
  smtp?: string;
  monitorFile?: string;
  serviceName?: string;
  comment?: string;
  location: SourceLocation;
}

/** An address and port ldirector itself listens on (sorry server, metrics). */
export interface ListenAddress {
  address: string;
  family: Family;
  port: number;
}

/** A syslog facility or a file: ldirectord's `logfile=` takes both. */
export type LogTarget = { kind: "file"; path: string } | { kind: "syslog"; facility: string };

export interface GlobalSettings {
  checkInterval: number;
  autoreload: boolean;
  callback?: string;
  logfile: LogTarget;
  /** Other config files whose ldirector instances this one starts and stops. */
  execute: string[];
  fork: boolean;
  supervised: boolean;
  readdQuiescent: boolean;
  emailAlertFrom?: string;
  maintenanceDir?: string;
  /** Extension `ipvsadm=`: path of the ipvsadm binary. */
  ipvsadm?: string;
  /** Extension `sorryserver=addr:port`: run the built-in sorry server there. */
  sorryServer?: ListenAddress;
  /** Extension `metricsaddress=addr:port`: serve Prometheus metrics at http://addr:port/metrics. */
  metricsAddress?: ListenAddress;
  /** Extension `metricshost=name[,name…]`: Host names the metricsaddress= listener also answers to (lower case). */
  metricsHost?: string[];
  /** Extension `sorrypage=`: the HTML file the sorry server answers with. */
  sorryPage?: string;
  /** Extension `resyncinterval=`: seconds between full reads of the kernel table (0 = off). */
  resyncInterval: number;
  /** Extension `webcontrol=yes`: the web status page (on metricsaddress=) may drain, disable and enable reals. */
  webControl: boolean;
  /** Extension `controlsocket=`: the control socket's path (default /run/ldirector/ldirector.<name>.sock). */
  controlSocket?: string;
  /** Extension `statefile=`: where runtime overrides are kept (default /var/lib/ldirector/<name>.state). */
  stateFile?: string;
  /** Extensions `syncdaemon=`, `syncinterface=`, `syncid=`: the IPVS connection sync daemons to run; absent = none. */
  sync?: SyncSettings;
}

/** Which sync daemons a director runs (both: it sends its connections and receives its peer's). */
export type SyncRole = "master" | "backup";

export interface SyncSettings {
  roles: SyncRole[];
  /** The multicast interface (ipvsadm --mcast-interface). */
  interface: string;
  /** 0..255: peers of one pair share it (ipvsadm --syncid). */
  syncId: number;
  /** The syncdaemon= line, for errors about it. */
  location: SourceLocation;
}

export interface ConfigWarning {
  location: SourceLocation;
  message: string;
  /** Set when ldirectord would reject or misread the line that ldirector accepted. */
  ldirectordDiffers?: boolean;
}

export interface Config {
  /** Absolute path of the file that was read. */
  file: string;
  global: GlobalSettings;
  virtuals: VirtualService[];
  warnings: ConfigWarning[];
  /** Extension directives used, so `ldirector check` can say the file is no longer portable. */
  extensions: { name: string; location: SourceLocation }[];
}
