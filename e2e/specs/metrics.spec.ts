// The IDE's performance figures (the bars), measured in the e2e run and written to a
// JSON file for `scripts/bench.sh --ide` — recorded, never asserted: CI must not be a timed test.
// What is asserted is only that each measurement could be taken (the contract's timing hooks
// exist, the editor takes input, the script prints, virtual time advances).
//
//   a) transfer: bytes on the wire (gzip as tools/serve-ide.mjs serves them) of a fresh load,
//      split into the app's wasm (ferrite-ide + the simulator worker), the app's JS/CSS/HTML,
//      Monaco (/vs/**) and the rest; before the editor takes input and for the whole first load;
//   b) editor: navigation start -> editor editable, median of 5 fresh loads (empty cache), both
//      the app's `__ferrite.editorReadyAt` and our own: Monaco's textarea takes focus and a typed
//      text shows in the editor;
//   c) first output: Run -> first console line of a hello world (`__ferrite.runAt` ->
//      `firstOutputAt`), median of 10 runs;
//   d) virtual-time speed at Max of a Timer.set(1000, true, …) script: virtual seconds per wall
//      second, from the virtual time display over a 5 s window;
//   e) Run on device: a 10 KB script to the virtual device (`ferrite device`, $FERRITE_BIN: the
//      release build under `scripts/bench.sh --ide`) over WebSocket RPC and over the serial
//      bridge (`ferrite bridge --device`) on loopback, from the click on "Run on device" to the
//      script's first print line in the Device log (both taken in the page), median of 5 each.
//
// Fresh loads run with service workers blocked: the figures are those of a first visit, and the
// service worker's background precache must not compete with the measured load.
import { test, expect, type Browser, type Page, type Request } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { consoleLog, hooks, openIde, replaceScript, run, speedButton, status, stopButton, virtualTime, parseVirtualTime, statusText } from "../support/ide";
import { ferriteBin, SerialBridge, VirtualDevice } from "../support/device";
import {
  clearDeviceLog,
  connectDevice,
  consoleTab,
  deviceActivity,
  disconnectButton,
  runOnDeviceButton,
  sizedScript,
  type ConnectionKind,
} from "../support/device-ui";

const FRESH_LOADS = 5;
const RUNS = 10;
const SIM_RATE_WINDOW_MS = 5000;
const DEVICE_RUNS = 5;
const DEVICE_SCRIPT_BYTES = 10_000;

type Category = "app_wasm" | "app_js_css_html" | "monaco" | "other";
interface Transfer {
  url: string;
  category: Category;
  encoded_bytes: number;
  before_editor: boolean;
}

function categorize(url: string): Category {
  const path = new URL(url).pathname;
  if (path.startsWith("/vs/")) return "monaco";
  if (path.endsWith(".wasm")) return "app_wasm";
  if (path === "/" || /\.(js|mjs|css|html)$/.test(path)) return "app_js_css_html";
  return "other";
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round(v: number | null | undefined, digits = 1): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function sums(list: Transfer[], filter: (t: Transfer) => boolean): Record<Category | "total", number> {
  const out = { app_wasm: 0, app_js_css_html: 0, monaco: 0, other: 0, total: 0 };
  for (const t of list) {
    if (!filter(t)) continue;
    out[t.category] += t.encoded_bytes;
    out.total += t.encoded_bytes;
  }
  return out;
}

interface FreshLoad {
  transfers: Transfer[];
  /// `__ferrite.editorReadyAt` (ms since navigation start).
  hookEditorReadyMs: number | null;
  /// Our own: the textarea took focus / the typed text showed (ms since navigation start).
  focusableMs: number;
  typingShownMs: number;
}

/// One fresh load in a new context (empty HTTP cache, no service worker).
async function freshLoad(browser: Browser, baseURL: string): Promise<FreshLoad> {
  const context = await browser.newContext({ baseURL, serviceWorkers: "block" });
  try {
    const page = await context.newPage();
    const transfers: Transfer[] = [];
    let editorUsable = false;
    const pending: Promise<void>[] = [];
    // Each URL once: a fresh context has an empty cache, so its first fetch came from the
    // server. Playwright reports no body size for a worker's main script (0), so the server's
    // content-length (the gzip body it sent) stands in; later fetches of the same URL are cache
    // hits or 304s.
    const seen = new Set<string>();
    const onFinished = (request: Request) => {
      const before = !editorUsable;
      if (seen.has(request.url())) return;
      seen.add(request.url());
      pending.push(
        Promise.all([request.sizes(), request.response()]).then(([sizes, response]) => {
          const declared = Number(response?.headers()["content-length"] ?? 0);
          transfers.push({
            url: request.url(),
            category: categorize(request.url()),
            encoded_bytes: sizes.responseBodySize || declared,
            before_editor: before,
          });
        }),
      );
    };
    page.on("requestfinished", onFinished);
    // The simulator worker's wasm comes after the editor is usable; "network idle" alone can
    // fire before the worker asks for it (half a second without requests on a busy machine).
    const simWorkerWasm = page.waitForEvent("requestfinished", {
      predicate: (r) => /\/ferrite-sim-worker[^/]*_bg\.wasm$/.test(new URL(r.url()).pathname),
      timeout: 60_000,
    });
    simWorkerWasm.catch(() => undefined); // awaited below; a load that fails earlier must not leave it unhandled

    await page.goto("/", { waitUntil: "commit" });
    // Monaco's textarea (aria-label "Script editor"): focus it as soon as it exists and is not
    // read-only; checked every 5 ms inside the page, so the time is the page's, not ours.
    const focusableMs = await (
      await page.waitForFunction(
        () => {
          const ta = document.querySelector<HTMLTextAreaElement>('textarea[aria-label^="Script editor"]');
          if (!ta || ta.readOnly || ta.disabled) return false;
          ta.focus();
          return document.activeElement === ta ? performance.now() : false;
        },
        undefined,
        { polling: 5, timeout: 60_000 },
      )
    ).jsonValue();
    const marker = `/*typed-at-load-${Date.now()}*/`;
    await page.keyboard.insertText(marker);
    const typingShownMs = await (
      await page.waitForFunction(
        (m) => {
          const lines = document.querySelector(".view-lines");
          return lines && (lines.textContent ?? "").includes(m) ? performance.now() : false;
        },
        marker,
        { polling: 5, timeout: 30_000 },
      )
    ).jsonValue();
    editorUsable = true;
    // The rest of the first load (the simulator worker, Monaco's language worker).
    await simWorkerWasm;
    await page.waitForLoadState("networkidle");
    // Count no more requests from here: one finishing later would read its sizes from a
    // context that is being closed (and fail the test with "Target page … has been closed").
    page.off("requestfinished", onFinished);
    await Promise.all(pending);
    const h = await hooks(page);
    return {
      transfers,
      hookEditorReadyMs: h.editorReadyAt ?? null,
      focusableMs: focusableMs as number,
      typingShownMs: typingShownMs as number,
    };
  } finally {
    await context.close();
  }
}

/// Run -> first console line of a hello world, `RUNS` times (`__ferrite` hooks).
async function firstOutputTimes(page: Page): Promise<number[]> {
  await replaceScript(page, 'print("hello, world");\n');
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const previousRun = (await hooks(page)).runAt ?? -1;
    await run(page);
    await expect(consoleLog(page)).toContainText("hello, world");
    const h = await expect
      .poll(async () => {
        const h = await hooks(page);
        return h.runAt !== undefined && h.runAt > previousRun && h.firstOutputAt !== undefined && h.firstOutputAt >= h.runAt;
      }, { message: "window.__ferrite.runAt / firstOutputAt are set for this Run" })
      .toBe(true)
      .then(() => hooks(page));
    times.push(h.firstOutputAt! - h.runAt!);
  }
  return times;
}

/// Virtual seconds per wall second at Max, over a window of wall time.
async function simRate(page: Page): Promise<{ rate: number; virtual_ms: number; wall_ms: number }> {
  await replaceScript(page, "var ticks = 0;\nTimer.set(1000, true, function () { ticks++; });\n");
  await speedButton(page, "Max").click();
  await run(page);
  await expect(status(page)).toHaveText(statusText("Running"));
  const read = () =>
    virtualTime(page).evaluate((el) => ({ text: el.textContent ?? "", wall: performance.now() }));
  // Start the window once virtual time moves.
  await expect.poll(async () => parseVirtualTime((await read()).text)).toBeGreaterThan(0);
  const a = await read();
  // A measurement window, not a synchronisation: the rate is averaged over it.
  await page.waitForTimeout(SIM_RATE_WINDOW_MS);
  const b = await read();
  await stopButton(page).click();
  const virtualMs = parseVirtualTime(b.text) - parseVirtualTime(a.text);
  const wallMs = b.wall - a.wall;
  return { rate: virtualMs / wallMs, virtual_ms: virtualMs, wall_ms: wallMs };
}

/// "Run on device" of a 10 KB script, `DEVICE_RUNS` times over one connection: from the click
/// (a capturing listener on the button) to the first Device log text with the script's marker (a
/// MutationObserver on the log), both `performance.now()` in the page. The log is cleared before
/// each run, and the next run waits until the device said it runs.
async function runOnDeviceTimes(page: Page, kind: ConnectionKind, address: string): Promise<number[]> {
  // The script goes into the editor once, before connecting: every run uploads the same 10 KB
  // and waits for its marker in a cleared log (the upload stops the previous run first).
  const marker = `run on device over ${kind} at ${Date.now()}`;
  await replaceScript(page, sizedScript(marker, DEVICE_SCRIPT_BYTES));
  await connectDevice(page, kind, address);
  const times: number[] = [];
  for (let i = 0; i < DEVICE_RUNS; i++) {
    await consoleTab(page, "Device console").click();
    await clearDeviceLog(page).click();
    // The button as Playwright finds it (by role and name); the log by its role and label.
    await runOnDeviceButton(page).evaluate((button, marker) => {
      const w = window as unknown as { __deviceRun?: { clickAt?: number; printAt?: number } };
      const probe: { clickAt?: number; printAt?: number } = {};
      w.__deviceRun = probe;
      const log = document.querySelector('[role="log"][aria-label="Device log"]');
      if (!log) throw new Error("no Device log in the page");
      button.addEventListener("click", () => (probe.clickAt ??= performance.now()), { capture: true, once: true });
      const observer = new MutationObserver(() => {
        if ((log.textContent ?? "").includes(marker)) {
          probe.printAt = performance.now();
          observer.disconnect();
        }
      });
      observer.observe(log, { childList: true, subtree: true, characterData: true });
    }, marker);
    await runOnDeviceButton(page).click();
    const probe = await expect
      .poll(() => page.evaluate(() => (window as unknown as { __deviceRun: { clickAt?: number; printAt?: number } }).__deviceRun), {
        message: `the script's first print line (${marker}) in the Device log`,
        timeout: 30_000,
      })
      .toMatchObject({ clickAt: expect.any(Number), printAt: expect.any(Number) })
      .then(() => page.evaluate(() => (window as unknown as { __deviceRun: { clickAt: number; printAt: number } }).__deviceRun));
    times.push(probe.printAt - probe.clickAt);
    await expect(deviceActivity(page)).toHaveText(/^Running main on the device/);
  }
  await disconnectButton(page).click();
  return times;
}

async function runOnDeviceOverWebSocket(page: Page): Promise<number[]> {
  const device = await VirtualDevice.start();
  try {
    return await runOnDeviceTimes(page, "WebSocket RPC", device.address);
  } finally {
    await device.stop();
  }
}

async function runOnDeviceOverBridge(page: Page): Promise<number[]> {
  const bridge = await SerialBridge.start();
  try {
    return await runOnDeviceTimes(page, "Serial bridge", bridge.url);
  } finally {
    await bridge.stop();
  }
}

/// Run one measurement; a failure is recorded (and fails the test at the end) without losing the
/// other measurements.
async function measure<T>(name: string, failures: string[], f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    // The first line of the message, without the terminal colours of Playwright's expect.
    const message = (e instanceof Error ? e.message : String(e)).replace(/\u001b\[[0-9;]*m/g, "");
    failures.push(`${name}: ${message.split("\n")[0]}`);
    return null;
  }
}

test("metrics: transfer size, editor ready, first output, virtual-time speed, run on device", async ({ browser, page, baseURL }) => {
  test.setTimeout(8 * 60_000);
  const failures: string[] = [];
  const loads: FreshLoad[] = [];
  for (let i = 0; i < FRESH_LOADS; i++) {
    const load = await measure(`fresh load ${i + 1}`, failures, () => freshLoad(browser, baseURL!));
    if (load) loads.push(load);
  }
  await openIde(page);
  const firstOutput = (await measure("first output", failures, () => firstOutputTimes(page))) ?? [];
  const rate = await measure("virtual-time speed", failures, () => simRate(page));
  const overWebSocket = (await measure("run on device over WebSocket RPC", failures, () => runOnDeviceOverWebSocket(page))) ?? [];
  const overBridge = (await measure("run on device over the serial bridge", failures, () => runOnDeviceOverBridge(page))) ?? [];

  // The transfer figures of the first fresh load (every fresh load fetches the same files).
  const firstLoad = loads[0]?.transfers ?? [];
  const before = sums(firstLoad, (t) => t.before_editor);
  const whole = sums(firstLoad, () => true);
  const wasmFiles = firstLoad.filter((t) => t.category === "app_wasm");
  const hookReady = loads.map((l) => l.hookEditorReadyMs).filter((v): v is number => v !== null);
  if (loads.length > 0 && hookReady.length < loads.length) {
    failures.push("window.__ferrite.editorReadyAt is not set once the editor takes input");
  }

  const metrics = {
    measured_at: new Date().toISOString(),
    browser: `Chromium ${browser.version()}`,
    base_url: baseURL,
    failures,
    transfer: {
      note: "encoded (gzip) response body bytes, as tools/serve-ide.mjs serves them; a fresh load without service worker",
      app_wasm_bytes: whole.app_wasm,
      app_wasm_files: Object.fromEntries(wasmFiles.map((t) => [new URL(t.url).pathname, t.encoded_bytes])),
      before_editor_usable: before,
      first_load: whole,
      files: firstLoad
        .map((t) => ({ path: new URL(t.url).pathname, category: t.category, encoded_bytes: t.encoded_bytes, before_editor: t.before_editor }))
        .sort((x, y) => y.encoded_bytes - x.encoded_bytes),
    },
    editor_ready: {
      loads: loads.length,
      hook_ms: loads.map((l) => round(l.hookEditorReadyMs)),
      hook_median_ms: round(median(hookReady)),
      focusable_ms: loads.map((l) => round(l.focusableMs)),
      focusable_median_ms: round(median(loads.map((l) => l.focusableMs))),
      typing_shown_ms: loads.map((l) => round(l.typingShownMs)),
      typing_shown_median_ms: round(median(loads.map((l) => l.typingShownMs))),
    },
    first_output: {
      runs: firstOutput.length,
      ms: firstOutput.map((v) => round(v)),
      median_ms: round(median(firstOutput)),
    },
    sim_rate: {
      note: "virtual seconds per wall second at Max, Timer.set(1000, true, ...)",
      virtual_s_per_wall_s: round(rate?.rate, 0),
      virtual_ms: rate?.virtual_ms ?? null,
      wall_ms: round(rate?.wall_ms),
    },
    run_on_device: {
      note: "click on Run on device -> the script's first print line in the Device log (performance.now() in the page); the virtual device on loopback",
      script_bytes: DEVICE_SCRIPT_BYTES,
      ferrite_bin: ferriteBin(),
      websocket: { runs: overWebSocket.length, ms: overWebSocket.map((v) => round(v)), median_ms: round(median(overWebSocket)) },
      serial_bridge: { runs: overBridge.length, ms: overBridge.map((v) => round(v)), median_ms: round(median(overBridge)) },
    },
  };
  const out = resolve(process.env.FERRITE_E2E_METRICS || resolve(dirname(test.info().config.configFile!), "test-results", "metrics.json"));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(metrics, null, 2) + "\n");
  console.log(`metrics written to ${out}`);

  expect(failures, "every measurement could be taken").toEqual([]);
  expect(loads.length).toBe(FRESH_LOADS);
  expect(whole.app_wasm, "the app's wasm was loaded").toBeGreaterThan(0);
  expect(firstOutput.length).toBe(RUNS);
  expect(rate?.virtual_ms ?? 0, "virtual time advanced at Max").toBeGreaterThan(0);
  expect(overWebSocket.length).toBe(DEVICE_RUNS);
  expect(overBridge.length).toBe(DEVICE_RUNS);
});
