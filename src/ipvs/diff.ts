// (desired, actual) → the ordered ops that turn actual into desired, touching nothing that
// this director does not own. Pure.
//
// Order, for live traffic: services are added or edited first (so dests have somewhere to
// go), then dests are deleted, edited and added, and whole services are deleted last. The
// dests of a service being deleted are not deleted one by one: -D takes them along.

import type { Dest, Service, Table } from "./model.js";
import { destKey, serviceKey } from "./model.js";
import {
  canonicalServiceKey,
  normalizeDest,
  normalizeSpec,
  sameDest,
  sameSpec,
  specOf,
} from "./normalize.js";
import type { Op, ServiceSpec } from "./ops.js";
import { sortTable } from "./table.js";

/**
 * The table as the kernel would hold it: canonical settings, route/tunnel dest ports forced
 * to the service port, one service per key and one dest per key (the first wins, as the
 * kernel would refuse the second).
 */
export function normalizeTable(table: Table): Table {
  const services: Service[] = [];
  const seen = new Set<string>();
  for (const s of table.services) {
    const spec = normalizeSpec(specOf(s));
    const key = serviceKey(spec);
    if (seen.has(key)) continue;
    seen.add(key);
    const dests: Dest[] = [];
    const seenDests = new Set<string>();
    for (const d of s.dests) {
      const nd = normalizeDest(spec, d);
      const dk = destKey(nd);
      if (seenDests.has(dk)) continue;
      seenDests.add(dk);
      dests.push(nd);
    }
    services.push({ ...spec, dests });
  }
  return sortTable({ services });
}

export function diff(desired: Table, actual: Table, owned: ReadonlySet<string>): Op[] {
  const want = normalizeTable(desired);
  const have = normalizeTable(actual);
  const haveByKey = new Map(have.services.map((s) => [serviceKey(s), s]));
  const wantKeys = new Set(want.services.map((s) => serviceKey(s)));
  const ownedKeys = new Set([...owned].map(canonicalServiceKey));

  const serviceOps: Op[] = [];
  const destDeletes: Op[] = [];
  const destEdits: Op[] = [];
  const destAdds: Op[] = [];
  const serviceDeletes: Op[] = [];

  for (const w of want.services) {
    const spec: ServiceSpec = specOf(w);
    const h = haveByKey.get(serviceKey(w));
    if (!h) {
      serviceOps.push({ kind: "add-service", service: spec });
      for (const d of w.dests) destAdds.push({ kind: "add-dest", service: spec, dest: d });
      continue;
    }
    if (!sameSpec(spec, specOf(h))) serviceOps.push({ kind: "edit-service", service: spec });
    const haveDests = new Map(h.dests.map((d) => [destKey(d), d]));
    const wantDests = new Set(w.dests.map((d) => destKey(d)));
    for (const d of h.dests) {
      if (!wantDests.has(destKey(d))) destDeletes.push({ kind: "delete-dest", service: spec, dest: d });
    }
    for (const d of w.dests) {
      const hd = haveDests.get(destKey(d));
      if (!hd) destAdds.push({ kind: "add-dest", service: spec, dest: d });
      else if (!sameDest(d, hd)) destEdits.push({ kind: "edit-dest", service: spec, dest: d });
    }
  }

  for (const h of have.services) {
    const key = serviceKey(h);
    if (!wantKeys.has(key) && ownedKeys.has(key)) {
      serviceDeletes.push({ kind: "delete-service", service: specOf(h) });
    }
  }

  return [...serviceOps, ...destDeletes, ...destEdits, ...destAdds, ...serviceDeletes];
}
