// The web status page that the daemon serves at GET / on metricsaddress=. One static
// document: inline CSS and JS, no external resources, no build step. The script polls
// `status` (a relative URL, so the page works behind a path prefix) once a second and
// renders the StatusView of ./types.ts; with webControl on it also POSTs to
// each verb of the control table that has a button. Every string from the JSON is escaped before it reaches the DOM, and
// the Content-Security-Policy admits only this script and this style, by hash.
import { createHash } from "node:crypto";
import { type Verb, verbs } from "../control/verbs.js";

/**
 * The page's buttons, from the verb table: [verb, label, override mode in which it is
 * idle, operand to ask, route relative to the page (so it works behind a path prefix)].
 */
const buttons = (verbs as readonly Verb[]).flatMap((v) =>
  v.button
    ? [[v.name, v.button.label, v.button.idleWhen ?? null, v.button.ask ?? null, v.route.replace(/^\//, "")]]
    : [],
);

const css = `
:root { color-scheme: light; font: 14px/1.4 system-ui, sans-serif; color: #202124; }
body { margin: 0 auto; padding: 1rem 1.5rem; max-width: 80rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; font-family: ui-monospace, monospace; }
h2 .count { font-family: system-ui, sans-serif; font-weight: normal; color: #5f6368; margin-left: .5rem; }
#meta, .muted { color: #5f6368; }
#meta .err { color: #b3261e; }
#banner { background: #b3261e; color: #fff; padding: .5rem .75rem; border-radius: 4px; margin: .5rem 0; }
#error { background: #fce8e6; color: #8c1d18; padding: .5rem .75rem; border-radius: 4px; margin: .5rem 0; }
#notice { background: #e8f0fe; padding: .5rem .75rem; border-radius: 4px; margin: .5rem 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dadce0; vertical-align: top; }
thead th { font-weight: 600; background: #f8f9fa; white-space: nowrap; }
[data-dur], [data-ago], td.acts { white-space: nowrap; }
tbody th { font-family: ui-monospace, monospace; font-weight: normal; white-space: nowrap; }
tr[data-health] > :first-child { border-left: 6px solid #9aa0a6; }
tr[data-health="up"] { background: #e6f4ea; }
tr[data-health="up"] > :first-child { border-left-color: #188038; }
tr[data-health="down"] { background: #fce8e6; }
tr[data-health="down"] > :first-child { border-left-color: #d93025; }
tr[data-health="unknown"] { background: #f1f3f4; }
tr[data-override="drained"] { background: #fef7e0; }
tr[data-override="drained"] > :first-child { border-left-color: #f29900; }
tr[data-override="disabled"], tr.maint { color: #5f6368; }
tr[data-override="disabled"] > :first-child { border-left-style: dashed; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .85em; margin-left: .3rem;
  font-family: system-ui, sans-serif; font-weight: 600; }
.b-up { background: #188038; color: #fff; } .b-down { background: #d93025; color: #fff; }
.b-unknown { background: #80868b; color: #fff; } .b-drained { background: #f29900; color: #202124; }
.b-disabled { background: #3c4043; color: #fff; } .b-maintenance { background: #7b1fa2; color: #fff; }
.b-fallback { background: #d93025; color: #fff; } .b-weighted { background: #1a73e8; color: #fff; }
.fail { color: #b3261e; font-weight: 600; } .ok { color: #188038; font-weight: 600; }
button { font: inherit; padding: .1rem .5rem; margin: 0 .2rem .2rem 0; cursor: pointer; }
#transitions { padding-left: 1.5rem; font-size: .95em; }
#transitions li { margin: .15rem 0; }
#transitions .to-up { color: #188038; } #transitions .to-down { color: #b3261e; }
code { font-family: ui-monospace, monospace; }
`;

const js = `
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var BUTTONS = ${JSON.stringify(buttons)};
  var last = "", lastMeta = "", lastTx = "", lastWin = "", timer = 0, busy = false, again = false, skew = 0, lastOk = 0;
  function esc(v) {
    return String(v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function num(v) { return esc(Number(v)); }
  function dur(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  function now() { return Date.now() + skew; }
  function ago(at) { return '<span data-ago="' + num(at) + '"></span>'; }
  function clock(at) { return esc(new Date(at).toLocaleTimeString()); }
  function tick() {
    document.querySelectorAll("[data-ago]").forEach(function (e) {
      e.textContent = dur(now() - Number(e.getAttribute("data-ago"))) + " ago";
    });
    document.querySelectorAll("[data-dur]").forEach(function (e) {
      e.textContent = dur(now() - Number(e.getAttribute("data-dur")));
    });
  }
  function badge(kind, text) { return '<span class="badge b-' + esc(kind) + '">' + esc(text || kind) + "</span>"; }
  function row(v, r, control, conns) {
    var o = r.override ? r.override.mode : "";
    var h = '<tr data-real="' + esc(r.id) + '" data-health="' + esc(r.health) + '"' +
      (o ? ' data-override="' + esc(o) + '"' : "") + (r.maintenance ? ' class="maint"' : "") + ">";
    h += '<th scope="row">' + esc(r.address) + "</th><td>" + badge(r.health) + (o ? badge(o, o === "weighted" ? "weight " + r.override.weight : o) : "") +
      (r.maintenance ? badge("maintenance") : "") + "</td>";
    h += "<td>" + num(r.configuredWeight) + "</td><td>" +
      (r.tableWeight === undefined || r.tableWeight === null ? '<span class="muted">absent</span>' : num(r.tableWeight)) + "</td>";
    var c = r.lastCheck;
    h += "<td>" + (c ? (c.ok ? '<span class="ok">ok</span>' : '<span class="fail">fail</span>') +
      (c.inconclusive ? " (inconclusive)" : "") + (c.reason ? " " + esc(c.reason) : "") +
      ' <span class="muted">' + num(Math.round(c.latencyMs)) + " ms, " + ago(c.at) + "</span>"
      : '<span class="muted">not yet</span>') + "</td>";
    h += "<td>" + (r.since ? '<span data-dur="' + num(r.since) + '"></span>' : '<span class="muted">-</span>') + "</td>";
    if (conns) h += "<td>" + (r.connections ? num(r.connections.active) + " / " + num(r.connections.inactive) : "-") + "</td>";
    if (control) {
      var who = esc(r.address + " in " + v.id);
      h += '<td class="acts">' + BUTTONS.map(function (b) {
        return '<button type="button" data-action="' + esc(b[0]) + '" data-route="' + esc(b[4]) + '" data-virtual="' + esc(v.id) + '" data-address="' +
          esc(r.address) + '"' + (b[3] ? ' data-ask="' + esc(b[3]) + '"' : "") + ' aria-label="' + esc(b[1]) + " " + who +
          '"' + (b[2] === o ? " disabled" : "") + ">" + esc(b[1]) + "</button>";
      }).join("") + "</td>";
    }
    return h + "</tr>";
  }
  function virtual(v, control) {
    var conns = v.reals.some(function (r) { return r.connections; });
    var h = '<section data-virtual="' + esc(v.id) + '"><h2>' + esc(v.id) + '<span class="count">' +
      num(v.healthy) + " / " + num(v.reals.length) + " healthy</span>" +
      (v.fallbackActive ? badge("fallback", "fallback active") : "") + "</h2>";
    h += "<table><thead><tr>" + ["Real", "Health", "Weight", "Kernel weight", "Last check", "Since"]
      .concat(conns ? ["Connections (active / inactive)"] : [], control ? ["Actions"] : [])
      .map(function (t) { return '<th scope="col">' + t + "</th>"; }).join("") + "</tr></thead><tbody>";
    return h + v.reals.map(function (r) { return row(v, r, control, conns); }).join("") + "</tbody></table></section>";
  }
  function render(s) {
    var c = s.counters;
    var role = s.role ? " · role " + esc(s.role.role) : "";
    var meta = esc(s.state) + role + " · pid " + num(s.pid) + " · backend " + esc(s.backend) + " · <code>" + esc(s.config) +
      "</code> · started " + ago(s.startedAt) + " · config generation " + num(c.configGeneration) +
      " · kernel writes " + num(c.kernelWrites) + " (" + num(c.kernelWriteErrors) + " failed)" +
      (c.lastError ? ' · <span class="err">last error: ' + esc(c.lastError) + "</span>" : "");
    if (meta !== lastMeta) { lastMeta = meta; $("meta").innerHTML = meta; }
    var body = s.virtuals.length ? s.virtuals.map(function (v) { return virtual(v, s.webControl); }).join("")
      : '<p class="muted">No virtual services configured.</p>';
    // Replaced only when something changed, so a button is not swapped out under a click.
    if (body !== last) { last = body; $("virtuals").innerHTML = body; }
    var tx = s.transitions.length ? s.transitions.map(function (t) {
      return '<li data-id="' + esc(t.id) + '"><time datetime="' + esc(new Date(t.at).toISOString()) + '">' + clock(t.at) +
        "</time> (" + ago(t.at) + ") <code>" + esc(t.real) + "</code> in <code>" + esc(t.virtual) + "</code>: " +
        esc(t.from) + ' → <span class="to-' + esc(t.to) + '">' + esc(t.to) + "</span>" +
        (t.reason ? " — " + esc(t.reason) : "") + "</li>";
    }).join("") : '<li class="muted" data-empty="">None since the daemon started.</li>';
    if (tx !== lastTx) { lastTx = tx; $("transitions").innerHTML = tx; }
    var ws = (s.windows || []).length ? s.windows.map(function (w) {
      return '<li data-window="' + num(w.id) + '"' + (w.open ? ' data-open=""' : "") + ">" + badge(w.mode) + " <code>" +
        esc(w.virtual) + "</code> " + esc(w.real) + " at <code>" + esc(w.cron) + "</code>" +
        (w.timezone ? " (" + esc(w.timezone) + ")" : "") + " for " + esc(dur(w.durationMs)) + ": " +
        (w.open ? "<strong>open</strong> until " + clock(w.openUntil)
          : "next " + (w.nextRun ? esc(new Date(w.nextRun).toLocaleString()) : "never")) + " (window " + num(w.id) + ")</li>";
    }).join("") : '<li class="muted" data-empty="">None scheduled (<code>ldirector schedule add</code>).</li>';
    if (ws !== lastWin) { lastWin = ws; $("windows").innerHTML = ws; }
    tick();
  }
  function poll() {
    if (busy) { again = true; return; }
    busy = true;
    clearTimeout(timer);
    var ctl = new AbortController(), t = setTimeout(function () { ctl.abort(); }, 5000);
    fetch("status", { cache: "no-store", headers: { accept: "application/json" }, signal: ctl.signal })
      .then(function (res) {
        if (!res.ok) throw new Error("GET status answered HTTP " + res.status);
        var d = Date.parse(res.headers.get("date") || "");
        // Ages are shown on the daemon's clock when the two clocks differ by more than a few seconds.
        if (!isNaN(d) && Math.abs(d - Date.now()) > 3000) skew = d - Date.now(); else skew = 0;
        return res.json();
      })
      .then(function (s) { lastOk = Date.now(); $("banner").hidden = true; render(s); })
      .catch(function (e) {
        $("banner").hidden = false;
        $("banner").textContent = "Connection lost: " + (e && e.name === "AbortError" ? "no answer within 5 s" : e.message || e) +
          ". Retrying every second" + (lastOk ? "; last update " + dur(Date.now() - lastOk) + " ago." : ".");
      })
      .then(function () {
        clearTimeout(t);
        busy = false;
        if (again) { again = false; poll(); } else timer = setTimeout(poll, 1000);
      });
  }
  function act(b) {
    var route = b.getAttribute("data-route"), label = b.textContent + " " + b.getAttribute("data-address");
    var body = { virtual: b.getAttribute("data-virtual"), real: b.getAttribute("data-address") };
    var ask = b.getAttribute("data-ask");
    if (ask) {
      var answer = window.prompt(label + ": " + ask + "?");
      if (answer === null) return;
      body[ask] = answer.trim();
    }
    $("error").hidden = true;
    $("notice").hidden = true;
    document.querySelectorAll("button[data-action]").forEach(function (x) { x.disabled = true; });
    fetch(route, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ldirector-action": "1" },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.text().then(function (text) {
        var j = null;
        try { j = JSON.parse(text); } catch (e) { j = null; }
        if (!res.ok) throw new Error((j && j.error) || text || "HTTP " + res.status);
        if (j && j.check) {
          $("notice").textContent = label + ": " + (j.check.ok ? "ok" : "fail") + (j.check.reason ? ", " + j.check.reason : "") +
            " (" + Math.round(j.check.latencyMs) + " ms)";
          $("notice").hidden = false;
        }
      });
    }).catch(function (e) {
      $("error").textContent = label + " failed: " + (e.message || e);
      $("error").hidden = false;
    }).then(function () { last = ""; poll(); });
  }
  $("virtuals").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-action]");
    if (b && !b.disabled) act(b);
  });
  setInterval(tick, 1000);
  poll();
})();
`;

const hash = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;
const csp = [
  "default-src 'none'",
  `style-src ${hash(css)}`,
  `script-src ${hash(js)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>ldirector status</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>ldirector status</h1>
<p id="meta">Loading…</p>
</header>
<div id="banner" role="alert" hidden></div>
<div id="error" role="alert" hidden></div>
<div id="notice" role="status" hidden></div>
<main id="virtuals"></main>
<section aria-labelledby="win-h">
<h2 id="win-h">Maintenance windows</h2>
<ul id="windows"></ul>
</section>
<section aria-labelledby="tx-h">
<h2 id="tx-h">Recent transitions</h2>
<ul id="transitions"></ul>
</section>
<script>${js}</script>
</body>
</html>
`;

/** The status page: one complete HTML document, the same for every request. */
export function statusPage(): string {
  return html;
}
