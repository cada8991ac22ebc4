// The one translator between ldirectord's words and the kernel's: from the config,
// what the checks say and what the kernel already holds, the table ldirectord would
// converge to. Pure: no clock, no I/O; the director diffs the result against the
// kernel and applies the difference.
//
// Decisions made here that ldirectord's code leaves implicit (docs/ldirectord-compat.md):
// - Start-up adoption, "unknown" health: a real already in the table at weight > 0
//   (or at weight 0 when the weight we would give it is 0 anyway) is kept as if up, at
//   its configured weight, until its first check. Anything else unknown is treated as
//   down, so an unchecked real never enters at full weight (ldirectord's add-then-remove);
//   with quiescent=yes it enters at weight 0, where ldirectord's start-up leaves it.
// - Several reals of one virtual that land on the same dest (same address and port once
//   ipvsadm's port forcing is applied) make one dest: the first real (config order)
//   that wants it up decides; failing that, the first that wants it quiesced.
// - A real and the fallback on the same dest: the real decides, the fallback is ignored.
// - An operator override that drains a real (weight 0) does not make it count as down:
//   like a real configured at weight 0, it still keeps the fallback out.
// - A quiesced dest has no thresholds (ldirectord's `-e … -w 0` passes no -x/-y),
//   unless it is already at weight 0 with the same method, which ldirectord leaves alone.
// - Addresses are written in the kernel's spelling (IPv6 compressed, lower case), so a
//   table read back compares equal to the plan.
// - The default persistence netmask (/32, /128) is written as no netmask: ipvsadm -S
//   prints none for it, and writing it would look like a change on every pass.

import type { Config, FallbackServer, Forward, RealServer, VirtualService } from "../config/types.js";
import type { Health } from "../health/types.js";
import {
  type Dest,
  destKey,
  type ForwardMethod,
  type Service,
  indexTable,
  serviceKey,
  type Table,
} from "../ipvs/model.js";
import { canonicalAddress } from "../ipvs/normalize.js";
import type { ServiceSpec } from "../ipvs/ops.js";
import type { Override } from "../control/override.js";
import { realId } from "./ids.js";

export interface PlanInput {
  config: Config;
  /** By realId; a real missing from the map is "unknown". */
  health: ReadonlyMap<string, Health>;
  /** What the kernel holds now (or what the director last read back). */
  actual: Table;
  overrides?: ReadonlyMap<string, Override>;
  /** realIds with a file in maintenancedir: forced down, whatever their check says. */
  maintenance?: ReadonlySet<string>;
  /**
   * Virtual ids whose fallback is no longer wanted but stays in at weight 0 for a while:
   * the kernel drops every packet of a connection whose dest was deleted, so a sorry page
   * being sent when a real comes back would hang; at weight 0 it gets no new connection
   * and finishes the ones it has.
   */
  fallbackLeaving?: ReadonlySet<string>;
}

/** How one real stands for the purpose of the table. */
export type RealVerdict =
  /** In the table at its weight (checked up, checktype=on, or adopted from the table). */
  | "up"
  /** Checked down, in maintenance, or checktype=off and not adopted. */
  | "down"
  /** No check result yet and nothing to adopt: out of the table, but not yet known dead. */
  | "pending";

const FORWARD: Record<Forward, ForwardMethod> = { gate: "route", masq: "masq", ipip: "tunnel" };

export function forwardMethod(f: Forward): ForwardMethod {
  return FORWARD[f];
}

const DEFAULT_NETMASK: Record<VirtualService["family"], string> = { inet: "255.255.255.255", inet6: "128" };

/** The kernel service of a virtual, without dests: `-A` as ldirectord builds it (ld_setup). */
export function serviceSpecOf(v: VirtualService): ServiceSpec {
  const isFwmark = v.protocol === "fwm";
  const spec: ServiceSpec = {
    protocol: v.protocol === "fwm" ? "fwmark" : v.protocol,
    family: v.family,
    port: isFwmark ? 0 : v.port,
    scheduler: v.scheduler,
    schedFlags: (v.schedFlags ?? "")
      .split(",")
      .map((f) => f.trim())
      .filter((f) => f !== ""),
    ops: v.protocol === "udp" && v.ops,
  };
  if (isFwmark) spec.fwmark = v.fwmark;
  else if (v.address !== undefined) spec.address = canonicalAddress(v.address);
  if (v.persistent !== undefined) {
    spec.persistence = v.persistent;
    if (v.netmask !== undefined && v.netmask !== DEFAULT_NETMASK[v.family]) spec.netmask = v.netmask;
  }
  return spec;
}

export function virtualServiceKey(v: VirtualService): string {
  return serviceKey(serviceSpecOf(v));
}

/**
 * The port a dest really gets. For direct routing and tunnelling on an address
 * service, ipvsadm overwrites the dest port with the service port; firewall-mark
 * services keep the port as given (0 usually).
 */
export function destPort(v: VirtualService, forward: Forward, port: number): number {
  if (v.protocol !== "fwm" && (forward === "gate" || forward === "ipip")) return v.port;
  return port;
}

/** The dest key a real occupies in its virtual's service. */
export function realDestKey(v: VirtualService, r: Pick<RealServer, "address" | "port" | "forward">): string {
  return destKey({ address: canonicalAddress(r.address), port: destPort(v, r.forward, r.port) });
}

/** The dest key of the virtual's fallback, or undefined when it has none or a real sits on the same dest. */
export function fallbackDestKey(v: VirtualService): string | undefined {
  const fb = v.fallback;
  if (fb === undefined) return undefined;
  const key = realDestKey(v, fb);
  return v.reals.some((r) => realDestKey(v, r) === key) ? undefined : key;
}

/** The weight a real has while it is up: the override, else the configured weight. */
export function upWeight(r: RealServer, override: Override | undefined): number {
  if (override?.mode === "drained") return 0;
  return override?.mode === "weighted" ? override.weight : r.weight;
}

/**
 * Whether the table's entry for a real can stand for "up" before any check: present
 * at weight > 0 (ldirectord's test), or present when we would put it at 0 anyway.
 */
function adoptable(present: Dest | undefined, weight: number): boolean {
  return present !== undefined && (present.weight > 0 || weight === 0);
}

/** Health, check type, maintenance and the table together: is this real up? */
export function realVerdict(
  r: RealServer,
  id: string,
  present: Dest | undefined,
  input: Pick<PlanInput, "health" | "overrides" | "maintenance">,
): RealVerdict {
  if (input.maintenance?.has(id) || input.overrides?.get(id)?.mode === "disabled") return "down";
  const adopt = adoptable(present, upWeight(r, input.overrides?.get(id)));
  switch (r.check.type) {
    case "on":
      return "up";
    case "off":
      // ldirectord never activates an "off" real, but one it finds live stays live (_check_real, ld_start).
      return adopt ? "up" : "down";
    default:
      break;
  }
  const h = input.health.get(id) ?? "unknown";
  if (h === "unknown") return adopt ? "up" : "pending";
  return h;
}

type Slot = { kind: "up" | "quiesced"; dest: Dest };

function realSlot(
  v: VirtualService,
  r: RealServer,
  verdict: RealVerdict,
  present: Dest | undefined,
  input: PlanInput,
): Slot | undefined {
  const forward = forwardMethod(r.forward);
  const port = destPort(v, r.forward, r.port);
  if (verdict === "up") {
    return {
      kind: "up",
      dest: {
        address: canonicalAddress(r.address),
        port,
        forward,
        weight: upWeight(r, input.overrides?.get(realId(v, r))),
        upperThreshold: r.upperThreshold,
        lowerThreshold: r.lowerThreshold,
      },
    };
  }
  if (!v.quiescent) return undefined;
  // A real never checked (pending, or checktype=off and not adopted) goes in at weight 0:
  // ldirectord's start-up adds every real and quiesces the ones not found up, so an
  // operator's `ipvsadm -L -n` and a backup director synced from it show the whole pool.
  // A real whose check failed and that is not in the table is added back only with
  // readdquiescent=yes, as ldirectord does.
  const neverChecked = verdict === "pending" || r.check.type === "off";
  if (present === undefined && !neverChecked && !input.config.global.readdQuiescent) return undefined;
  const untouched = present !== undefined && present.weight === 0 && present.forward === forward;
  return {
    kind: "quiesced",
    dest: {
      address: canonicalAddress(r.address),
      port,
      forward,
      weight: 0,
      upperThreshold: untouched ? present.upperThreshold : 0,
      lowerThreshold: untouched ? present.lowerThreshold : 0,
    },
  };
}

function fallbackDest(v: VirtualService, fb: FallbackServer): Dest {
  return {
    address: canonicalAddress(fb.address),
    port: destPort(v, fb.forward, fb.port),
    forward: forwardMethod(fb.forward),
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

function planVirtual(v: VirtualService, input: PlanInput, present: ReadonlyMap<string, Dest>): Service {
  const slots = new Map<string, Slot | undefined>();
  let anyUp = false;
  let anyPending = false;
  for (const r of v.reals) {
    const key = realDestKey(v, r);
    const here = present.get(key);
    const id = realId(v, r);
    const verdict = realVerdict(r, id, here, input);
    anyUp ||= verdict === "up";
    anyPending ||= verdict === "pending";
    const slot =
      input.overrides?.get(id)?.mode === "disabled" ? undefined : realSlot(v, r, verdict, here, input);
    const held = slots.get(key);
    // Map order = first appearance, so dests come out in config order.
    if (!slots.has(key)) slots.set(key, slot);
    else if (slot !== undefined && (held === undefined || (held.kind === "quiesced" && slot.kind === "up"))) {
      slots.set(key, slot);
    }
  }
  const dests: Dest[] = [];
  for (const slot of slots.values()) if (slot !== undefined) dests.push(slot.dest);

  const fbKey = fallbackDestKey(v);
  if (v.fallback !== undefined && fbKey !== undefined && !anyUp) {
    if (!anyPending) dests.push(fallbackDest(v, v.fallback));
    else {
      // Some real has not been checked yet: leave the fallback as found, so it does not flap at start-up.
      const found = present.get(fbKey);
      if (found !== undefined) dests.push({ ...found });
    }
  } else if (fbKey !== undefined && input.fallbackLeaving?.has(v.id)) {
    const found = present.get(fbKey);
    if (found !== undefined) dests.push({ ...found, weight: 0 });
  }
  return { ...serviceSpecOf(v), dests };
}

/** The desired table: one service per virtual, in config order. */
export function plan(input: PlanInput): Table {
  const actual = indexTable(input.actual);
  const none = new Map<string, Dest>();
  return {
    services: input.config.virtuals.map((v) =>
      planVirtual(v, input, actual.get(virtualServiceKey(v))?.dests ?? none),
    ),
  };
}

/**
 * Per virtual id: whether its fallback serves, in the given table: present at a weight
 * above 0 (at weight 0 it is leaving). False when the virtual has none.
 */
export function fallbackActive(table: Table, config: Config): Map<string, boolean> {
  const index = indexTable(table);
  const result = new Map<string, boolean>();
  for (const v of config.virtuals) {
    const key = fallbackDestKey(v);
    const dest = key === undefined ? undefined : index.get(virtualServiceKey(v))?.dests.get(key);
    result.set(v.id, dest !== undefined && dest.weight > 0);
  }
  return result;
}
