// The IDE as the tests see it: locators by role and visible text from the UI contract
// (roles, accessible names, texts), and the few actions every spec needs (open the IDE, replace
// the script, run it, read the virtual time).
//
// Only Monaco's own `.view-lines` (the rendered text) is located by CSS, because Monaco draws
// it; everything of the app itself is found by role and name, as a user (or a screen reader)
// finds it. Nothing here waits a fixed time: every wait is a web-first assertion.
import { expect, type Locator, type Page } from "@playwright/test";

export function toolbar(page: Page): Locator {
  return page.getByRole("toolbar", { name: "Main" });
}

export function runButton(page: Page): Locator {
  return toolbar(page).getByRole("button", { name: "Run", exact: true });
}

export function stopButton(page: Page): Locator {
  return toolbar(page).getByRole("button", { name: "Stop", exact: true });
}

export function speedButton(page: Page, label: "Pause" | "×1" | "×10" | "×100" | "Max"): Locator {
  return page.getByLabel("Simulation speed").getByRole("button", { name: label, exact: true });
}

export function status(page: Page): Locator {
  return page.getByRole("status", { name: "Simulator status" });
}

/// The status text as a pattern: the contract's text ("Running", "Stopped", "Idle: …"), after
/// an optional decorative glyph (the app shows a coloured dot before it).
export function statusText(text: string): RegExp {
  return new RegExp(`^\\W*${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

export function virtualTime(page: Page): Locator {
  return page.getByLabel("Virtual time", { exact: true });
}

export function consoleLog(page: Page): Locator {
  return page.getByRole("log", { name: "Console" });
}

export function consoleInput(page: Page): Locator {
  return page.getByRole("textbox", { name: "Console input" });
}

export function editorRegion(page: Page): Locator {
  return page.getByRole("region", { name: "Editor" });
}

/// Monaco's textarea (its `ariaLabel` option).
export function scriptEditor(page: Page): Locator {
  return page.getByRole("textbox", { name: "Script editor" });
}

/// The text Monaco renders (the only CSS the tests use besides `.squiggly-error`).
export function editorText(page: Page): Locator {
  return editorRegion(page).locator(".view-lines");
}

export function projectsList(page: Page): Locator {
  return page.getByRole("list", { name: "Projects list" });
}

export function networkTraffic(page: Page): Locator {
  return page.getByRole("log", { name: "Network traffic" });
}

/// Share the shown project: open the Share dialog and read its link.
export async function shareLink(page: Page): Promise<string> {
  await toolbar(page).getByRole("button", { name: "Share", exact: true }).click();
  const linkBox = page.getByRole("dialog", { name: "Share" }).getByRole("textbox", { name: "Share link" });
  await expect(linkBox).toHaveValue(/#share=v1\./);
  return linkBox.inputValue();
}

export function problems(page: Page): Locator {
  return page.getByRole("list", { name: "Problems" });
}

export function virtualBoard(page: Page): Locator {
  return page.getByRole("region", { name: "Virtual board" });
}

/// Open the IDE at `path` (default: the app) and wait until the editor takes input.
export async function openIde(page: Page, path = "/"): Promise<void> {
  await page.goto(path);
  await expect(scriptEditor(page)).toBeEditable();
}

/// Replace the whole text of the open file with `code`, as a user would: click into the editor,
/// select all, paste; the cursor is then at the top of the file. Pasted, not typed key by key, so
/// Monaco's auto-closing brackets and auto-indent do not rewrite it (they would turn `{` + newline
/// into `{}` with indentation). The paste is the browser's `paste` event carrying the text, which
/// is what Monaco handles on Ctrl+V: going through the system clipboard instead
/// (`navigator.clipboard.writeText`, then Ctrl+V) lost the paste now and then in headless
/// Chromium 148, one or two specs of a run.
export async function replaceScript(page: Page, code: string): Promise<void> {
  const lines = code.split("\n").filter((l) => l.trim() !== "").slice(0, 3);
  // The synthetic paste is the harness's way in, not the IDE's: Monaco has ignored one now and
  // then (a CI run on 2026-11-25: the old text stayed for 15 s). A paste that did not land is
  // made again, at most twice, as a user would; what the spec asserts is unchanged.
  for (let attempt = 1; ; attempt++) {
    await editorRegion(page).click();
    await expect(scriptEditor(page)).toBeFocused();
    await page.keyboard.press("ControlOrMeta+A");
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      const paste = new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
      document.activeElement?.dispatchEvent(paste);
    }, code);
    // Back to the top, so that the first lines are the ones drawn however long the script is.
    await page.keyboard.press("ControlOrMeta+Home");
    if (attempt === 3 || lines.length === 0) break;
    try {
      for (const line of lines) {
        await expect(editorText(page)).toContainText(line.trim(), { timeout: 3_000 });
      }
      break;
    } catch {
      // The paste did not land: again.
    }
  }
  for (const line of lines) {
    await expect(editorText(page)).toContainText(line.trim());
  }
}

/// Press Run (the toolbar's, not the share banner's "Run in simulator").
export async function run(page: Page): Promise<void> {
  await runButton(page).click();
}

/// The text of an uncaught error in the console: `<Name>: <message>` (`SyntaxError: …`,
/// `InternalError: CPU budget exhausted …`).
export const ERROR_LINE = /\b[A-Z][A-Za-z]*Error: /;
/// The link of an error to its place in a file: `main.js:LINE:COL`.
export const LOCATION_LINK = /^[^\s:]+\.js:\d+:\d+$/;

/// The virtual time display (`HH:MM:SS.mmm`) in milliseconds.
export function parseVirtualTime(text: string): number {
  const m = /(\d+):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(text);
  if (!m) throw new Error(`the virtual time display shows ${JSON.stringify(text)}, not HH:MM:SS.mmm`);
  const ms = m[4] ? Number(m[4].padEnd(3, "0")) : 0;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + ms;
}

export async function virtualTimeMs(page: Page): Promise<number> {
  return parseVirtualTime((await virtualTime(page).textContent()) ?? "");
}

/// The timing hooks of the UI contract (`window.__ferrite`), for the metrics spec and for
/// "a first console line after this Run" — never to assert on speed.
export interface FerriteHooks {
  editorReadyAt?: number;
  runAt?: number;
  firstOutputAt?: number;
}

export async function hooks(page: Page): Promise<FerriteHooks> {
  return page.evaluate(() => {
    const f = (window as unknown as { __ferrite?: FerriteHooks }).__ferrite;
    return f ? { editorReadyAt: f.editorReadyAt, runAt: f.runAt, firstOutputAt: f.firstOutputAt } : {};
  });
}

/// Wait until the console has shown a first line after the last Run (the contract's
/// `__ferrite.firstOutputAt` is set after `runAt`), and the console shows some text.
export async function waitForFirstOutput(page: Page): Promise<void> {
  await expect
    .poll(async () => {
      const h = await hooks(page);
      return h.runAt !== undefined && h.firstOutputAt !== undefined && h.firstOutputAt >= h.runAt;
    }, { message: "a first console line after Run (window.__ferrite.firstOutputAt >= runAt)" })
    .toBe(true);
  await expect(consoleLog(page)).toHaveText(/\S/);
}

/// The theme toggle of the toolbar: its text is the theme it switches to ("Light theme" in
/// dark mode, "Dark theme" in light mode).
export function themeButton(page: Page): Locator {
  return toolbar(page).getByRole("button", { name: /^(Light|Dark) theme$/ });
}

/// A splitter between two panes (`role="separator"`, aria-label "Resize sidebar",
/// "Resize board panel" or "Resize console"; its size in CSS pixels as `aria-valuenow`).
export function splitter(page: Page, name: "Resize sidebar" | "Resize board panel" | "Resize console"): Locator {
  return page.getByRole("separator", { name, exact: true });
}

/// The size a splitter reports (`aria-valuenow`, CSS pixels).
export async function splitterSize(separator: Locator): Promise<number> {
  const value = await separator.getAttribute("aria-valuenow");
  const px = Number(value);
  if (value === null || !Number.isFinite(px)) throw new Error(`the splitter's aria-valuenow is ${JSON.stringify(value)}`);
  return px;
}

/// Wait until the virtual time display has shown the same value for `stillForMs` of wall time
/// (polled, so a snapshot already on its way when the clock stopped may still land first), and
/// return that value. A display that keeps moving never satisfies it, and the poll fails at the
/// expect timeout.
export async function virtualTimeHeldStill(page: Page, stillForMs: number): Promise<number> {
  let held = await virtualTimeMs(page);
  let since = Date.now();
  await expect
    .poll(
      async () => {
        const now = await virtualTimeMs(page);
        if (now !== held) {
          held = now;
          since = Date.now();
        }
        return Date.now() - since;
      },
      { message: `the virtual time display stays still for ${stillForMs} ms`, intervals: [100] },
    )
    .toBeGreaterThanOrEqual(stillForMs);
  return held;
}
