// The IDE's live-device UI as the tests see it (e2e/UI-CONTRACT.md, "Live devices"): locators by
// role and accessible name, and the few actions the device specs share (connect, Run on device,
// a line in the device REPL).
//
// Like support/ide.ts: no CSS of the app, no fixed waits — every wait is a web-first assertion.
import { expect, type Locator, type Page } from "@playwright/test";
import { toolbar } from "./ide";

export type ConnectionKind = "WebSerial" | "WebUSB" | "WebSocket RPC" | "HTTP RPC" | "Serial bridge";

/// A tab of the run panel ("Simulator", "Device").
export function runTargetTab(page: Page, name: "Simulator" | "Device"): Locator {
  return page.getByRole("tablist", { name: "Run target" }).getByRole("tab", { name, exact: true });
}

/// A tab of the console pane ("Simulator console", "Device console").
export function consoleTab(page: Page, name: "Simulator console" | "Device console"): Locator {
  return page.getByRole("tablist", { name: "Console" }).getByRole("tab", { name, exact: true });
}

export function connectForm(page: Page): Locator {
  return page.getByRole("region", { name: "Connect a device" });
}

export function connectionKind(page: Page): Locator {
  return connectForm(page).getByRole("combobox", { name: "Connection" });
}

export function deviceAddress(page: Page): Locator {
  return connectForm(page).getByRole("textbox", { name: "Device address" });
}

export function connectButton(page: Page): Locator {
  return connectForm(page).getByRole("button", { name: "Connect", exact: true });
}

export function disconnectButton(page: Page): Locator {
  return connectForm(page).getByRole("button", { name: "Disconnect", exact: true });
}

/// The link state: exactly the session's label ("Connected", "Reconnecting in 2 s (attempt 1): …").
export function connectionStatus(page: Page): Locator {
  return page.getByRole("status", { name: "Device connection" });
}

/// The last outcome of a device action ("Uploading main…", "Upload failed at …").
export function deviceActivity(page: Page): Locator {
  return page.getByRole("status", { name: "Device activity" });
}

export function runOnDeviceButton(page: Page): Locator {
  return toolbar(page).getByRole("button", { name: "Run on device", exact: true });
}

export function deviceInfo(page: Page): Locator {
  return page.getByRole("region", { name: "Device info" });
}

export function deviceScripts(page: Page): Locator {
  return page.getByRole("region", { name: "Device scripts" });
}

export function scriptsList(page: Page): Locator {
  return deviceScripts(page).getByRole("list", { name: "Scripts on the device" });
}

/// The list item of the device script called `name` (its name is a text of its own in the item).
export function scriptItem(page: Page, name: string): Locator {
  return scriptsList(page)
    .getByRole("listitem")
    .filter({ has: page.getByText(name, { exact: true }) });
}

export function uploadProgress(page: Page): Locator {
  return deviceScripts(page).getByRole("progressbar", { name: "Upload" });
}

export function deviceLog(page: Page): Locator {
  return page.getByRole("log", { name: "Device log" });
}

export function deviceRepl(page: Page): Locator {
  return page.getByRole("textbox", { name: "Device REPL" });
}

/// The device console's "Clear" (empties the Device log).
export function clearDeviceLog(page: Page): Locator {
  return page.getByRole("tabpanel", { name: "Device console" }).getByRole("button", { name: "Clear", exact: true });
}

export function rawReplToggle(page: Page): Locator {
  return page.getByRole("tabpanel", { name: "Device console" }).getByRole("button", { name: "Raw REPL", exact: true });
}

export function evalRegion(page: Page): Locator {
  return page.getByRole("region", { name: "Eval" });
}

export function passwordDialog(page: Page): Locator {
  return page.getByRole("dialog", { name: "Device password" });
}

/// The password field of the dialog (`type="password"` has no textbox role).
export function passwordField(page: Page): Locator {
  return passwordDialog(page).getByLabel("Password", { exact: true });
}

/// Open the Device tab, choose the connection kind, type the address and press Connect (does not
/// wait for the outcome: see `connectDevice`).
export async function startConnecting(page: Page, kind: ConnectionKind, address: string): Promise<void> {
  await runTargetTab(page, "Device").click();
  await connectionKind(page).selectOption(kind);
  await deviceAddress(page).fill(address);
  await connectButton(page).click();
}

/// Connect to a device and wait until the link is "Connected" and the device's scripts were read.
export async function connectDevice(page: Page, kind: ConnectionKind, address: string): Promise<void> {
  await startConnecting(page, kind, address);
  await expect(connectionStatus(page)).toHaveText("Connected");
  await expect(deviceScripts(page)).toBeVisible();
}

/// Type a line into the device REPL and press Enter.
export async function deviceReplLine(page: Page, line: string): Promise<void> {
  await consoleTab(page, "Device console").click();
  await deviceRepl(page).fill(line);
  await deviceRepl(page).press("Enter");
}

/// A script that prints `marker` once it starts and keeps running (a repeating timer), so that its
/// state stays "running" until it is stopped.
export function keepAliveScript(marker: string): string {
  return `print(${JSON.stringify(marker)});\nTimer.set(1000, true, function () {});\n`;
}

/// A script of about `bytes` bytes (UTF-8) that prints `marker` first and keeps running: the rest
/// is functions, so that the device parses real code, not one long comment.
export function sizedScript(marker: string, bytes: number): string {
  const head = keepAliveScript(marker);
  const lines: string[] = [head];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const line = `function filler${i}(x) { return x * ${i} + ${i % 7}; }\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

/// A script of about `bytes` bytes that prints `marker` and keeps running, its bulk one comment
/// (cheap for the device to parse and to hold: for the uploads that are about size, not code).
export function paddedScript(marker: string, bytes: number): string {
  const head = keepAliveScript(marker);
  const line = "// padding: an upload of many chunks, cheap for the device to parse.\n";
  return head + line.repeat(Math.max(0, Math.ceil((bytes - head.length) / line.length)));
}
