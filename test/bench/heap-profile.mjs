// What holds ldirector's heap: the top allocation sites of a `node --heap-prof` profile
// (V8's sampling heap profiler keeps the samples of objects still alive when it is
// written, so these are the retained bytes, by where they were allocated), and the same
// grouped by module. `npm run bench -- --heap-prof` writes the profile of the largest N
// to test/bench/results/heapprof/.
//   node test/bench/heap-profile.mjs test/bench/results/heapprof/<file>.heapprofile [top]
import fs from "node:fs";

const [file, topArg] = process.argv.slice(2);
const prof = JSON.parse(fs.readFileSync(file, "utf8"));
const top = Number(topArg) || 20;
const site = new Map();
const mod = new Map();
let total = 0;
const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
const where = (cf) => {
  const url = cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, "$1/");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  return { url, module: pkg ? `npm:${pkg}` : url || "(native)" };
};
(function walk(node) {
  const bytes = node.selfSize;
  if (bytes > 0) {
    const w = where(node.callFrame);
    add(
      site,
      `${node.callFrame.functionName || "(anonymous)"} ${w.url}:${node.callFrame.lineNumber + 1}`,
      bytes,
    );
    add(mod, w.module, bytes);
    total += bytes;
  }
  for (const c of node.children) walk(c);
})(prof.head);
const show = (title, m) => {
  console.log(`\n${title} (of ${(total / 2 ** 20).toFixed(1)} MB sampled live)`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(v / 2 ** 20).toFixed(2).padStart(7)} MB  ${k}`);
  }
};
show("live bytes by allocation site", site);
show("live bytes by module", mod);
