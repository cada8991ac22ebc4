// (desired, actual) → the ordered ops that turn actual into desired, touching nothing that
// this director does not own. Pure.
//
// Order, for live traffic: a service that has dests before and after the batch never passes
// through zero dests, nor through zero dests with weight > 0, while the batch runs (ipvsadm
// -R applies line by line; a connection arriving in between meets the table half-done, and
// on a real kernel one did fail when the fallback went out before the real came in):
//   1. services are added or edited (so dests have somewhere to go; -E leaves dests alone),
//   2. dests are added (the real before the fallback goes, the fallback before the last
//      real goes, the new real before the one it replaces),
//   3. dests are edited to a weight > 0 (a quiescent real coming back before another one
//      goes to weight 0),
//   4. dests are edited to weight 0,
//   5. dests are deleted,
//   6. whole services are deleted, last: -D takes their dests along, not one by one.

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
import { sortTable } from "./ipvsadm-text.js";

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

  const raises = destEdits.filter((op) => op.kind === "edit-dest" && op.dest.weight > 0);
  const quiesces = destEdits.filter((op) => op.kind === "edit-dest" && op.dest.weight === 0);
  return [...serviceOps, ...destAdds, ...raises, ...quiesces, ...destDeletes, ...serviceDeletes];
}
