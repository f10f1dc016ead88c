// The IDE's benchmark table from the metrics the e2e run wrote (e2e/specs/metrics.spec.ts):
// printed as Markdown, and with `--markdown FILE` also written into FILE between
// `<!-- ide-bench:begin -->` and `<!-- ide-bench:end -->` (the markers must exist).
//
//   node e2e/metrics-table.mjs METRICS.json [--markdown docs/BENCHMARKS.md]
//
// It reports the bars next to the figures, for information: it never fails on a figure
// (CI must not be a timed test), only on a missing or unreadable metrics file.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, arch } from "node:os";

const BEGIN = "<!-- ide-bench:begin -->";
const END = "<!-- ide-bench:end -->";
const COMMAND = "scripts/bench.sh --ide --markdown docs/BENCHMARKS.md";

function usage(message) {
  console.error(`metrics-table: ${message}\nusage: node e2e/metrics-table.mjs METRICS.json [--markdown FILE]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let metricsPath = null;
let markdownPath = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--markdown") {
    markdownPath = args[++i];
    if (!markdownPath) usage("--markdown needs a file");
  } else if (!metricsPath) metricsPath = args[i];
  else usage(`unexpected argument ${args[i]}`);
}
if (!metricsPath) usage("no metrics file");

let m;
try {
  m = JSON.parse(readFileSync(metricsPath, "utf8"));
} catch (e) {
  usage(`cannot read ${metricsPath}: ${e.message}`);
}

const kB = (bytes) => (bytes === null || bytes === undefined ? "–" : `${(bytes / 1000).toFixed(1)} kB`);
const ms = (v) => (v === null || v === undefined ? "–" : `${Math.round(v)} ms`);
/// `value <= bar`: "yes"/"no"; unknown: "–".
const meets = (value, bar) => (value === null || value === undefined ? "–" : value <= bar ? "yes" : "**no**");

const t = m.transfer;
const wasmParts = Object.entries(t.app_wasm_files || {})
  .map(([path, bytes]) => `${path.replace(/^\//, "")} ${kB(bytes)}`)
  .join(" + ");
const e = m.editor_ready;
const f = m.first_output;
const r = m.sim_rate;
const d = m.run_on_device || { websocket: {}, serial_bridge: {} };
const deviceBuild = !d.ferrite_bin ? "" : /[\\/]release[\\/]/.test(d.ferrite_bin) ? ", release `ferrite`" : ", debug `ferrite`";
const deviceHow = (over, runs) =>
  `median of ${runs ?? 0}: click → the script's first print line in the Device log; a ${kB(d.script_bytes)} script to \`ferrite device\`${over} on loopback${deviceBuild}`;
const date = (m.measured_at || "").slice(0, 10);

const rows = [
  ["app wasm before the editor takes input, compressed", kB(t.before_editor_usable.app_wasm), "≤ 600 kB", meets(t.before_editor_usable.app_wasm, 600_000), "gzip bytes served, fresh load (the simulator worker starts once the editor is usable)"],
  ["all app wasm (page + simulator worker), compressed", `${kB(t.app_wasm_bytes)} (${wasmParts || "none"})`, "", "", "gzip bytes served, whole first load"],
  ["JS/CSS/HTML before the editor takes input", kB(t.before_editor_usable.app_js_css_html), "", "", "the app's own, gzip"],
  ["Monaco (/vs) before the editor takes input", kB(t.before_editor_usable.monaco), "", "", "gzip"],
  ["everything before the editor takes input", kB(t.before_editor_usable.total), "", "", "all of the above and the rest (icons)"],
  ["whole first load", kB(t.first_load.total), "", "", "until the network is idle (Monaco's language worker included)"],
  ["editor editable (app's `editorReadyAt`)", ms(e.hook_median_ms), "≤ 1.5 s", meets(e.hook_median_ms, 1500), `median of ${e.loads} fresh loads, from navigation start`],
  ["editor editable (typed text shows)", ms(e.typing_shown_median_ms), "≤ 1.5 s", meets(e.typing_shown_median_ms, 1500), `median of ${e.loads}: textarea focused ${ms(e.focusable_median_ms)}, then typed text rendered`],
  ["Run → first console line", ms(f.median_ms), "≤ 150 ms", meets(f.median_ms, 150), `median of ${f.runs} runs of a hello world (\`runAt\` → \`firstOutputAt\`)`],
  ["Run on device, 10 KB script, WebSocket RPC", ms(d.websocket.median_ms), "", "", deviceHow("", d.websocket.runs)],
  ["Run on device, 10 KB script, serial bridge", ms(d.serial_bridge.median_ms), "", "", deviceHow(" via `ferrite bridge --device` (its console over a WebSocket)", d.serial_bridge.runs)],
  ["virtual-time speed at Max", r.virtual_s_per_wall_s === null ? "–" : `${r.virtual_s_per_wall_s.toLocaleString("en-US")} virtual s / wall s`, "", "", `Timer.set(1000, true, …), ${Math.round(r.virtual_ms / 1000).toLocaleString("en-US")} virtual s in ${ms(r.wall_ms)}`],
];

const lines = [
  `Measured ${date} on ${arch()} (${cpus().length} CPUs, shared), ${m.browser} headless, served gzip by tools/serve-ide.mjs on loopback.`,
  "",
  "| measurement | result | bar | meets | how |",
  "|---|---:|---|---|---|",
  ...rows.map((row) => `| ${row.join(" | ")} |`),
];
if (m.failures && m.failures.length) {
  lines.push("", "Measurements that could not be taken:", ...m.failures.map((x) => `- ${x}`));
}
const table = lines.join("\n");
console.log(table);
console.log(`\nCommand: \`${COMMAND}\``);

if (markdownPath) {
  const doc = readFileSync(markdownPath, "utf8");
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) usage(`${markdownPath} has no ${BEGIN} … ${END} section`);
  writeFileSync(markdownPath, doc.slice(0, a + BEGIN.length) + "\n" + table + "\n" + doc.slice(b));
  console.error(`metrics-table: updated ${markdownPath}`);
}
