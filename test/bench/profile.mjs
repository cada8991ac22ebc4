// Where ldirector's CPU goes: top self-time functions of a `node --cpu-prof` profile, and
// the same grouped by package/module. `npm run bench -- --cpu-prof` writes the profile
// of the largest N to test/bench/results/cpuprof/.
//   node test/bench/profile.mjs test/bench/results/cpuprof/<file>.cpuprofile [top]
import fs from "node:fs";

const [file, topArg] = process.argv.slice(2);
const prof = JSON.parse(fs.readFileSync(file, "utf8"));
const top = Number(topArg) || 20;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
// samples[i] lasted timeDeltas[i+1]; good enough for a ranking.
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const mod = new Map();
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  const where = cf.url
    ? `${cf.url.replace(/^file:\/\/.*?node_modules\//, "npm:").replace(/^file:\/\/.*?\/dist\//, "dist/")}:${cf.lineNumber + 1}`
    : "";
  const key = `${cf.functionName || "(anonymous)"} ${where}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const m = !cf.url
    ? cf.functionName.startsWith("(")
      ? cf.functionName
      : "(native)"
    : cf.url.includes("node_modules/")
      ? `npm:${cf.url.split("node_modules/")[1].split("/")[0]}`
      : cf.url.startsWith("node:")
        ? cf.url
        : cf.url.replace(/^file:\/\/.*?\/dist\//, "dist/");
  mod.set(m, (mod.get(m) ?? 0) + us);
}
const show = (title, map) => {
  process.stdout.write(`\n${title} (of ${(total / 1e6).toFixed(2)} s sampled)\n`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}\n`);
  }
};
show("self time by function", fn);
show("self time by module", mod);
