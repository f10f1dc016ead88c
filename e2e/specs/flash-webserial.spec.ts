// Flashing through the IDE over WebSerial: headless Chromium has no serial ports, so
// e2e/support/fake-serial.ts gives the page a `navigator.serial` whose port tunnels its bytes to
// `ferrite bridge` on `esp32-mock-bootloader`'s PTY, with Chrome's rules (open and close take a
// while, a second open is refused, close fails while a stream is locked). This is the path of
// public/device-io.js that the bridge specs never reach: the close and reopen of a baud change
// (115200 → 460800 and back) with the flasher's writes racing it, and the hand-over of the port
// from the flash to the Device console (the same port object, opened again only once every
// close of it finished), and reading on through the BreakError each DTR/RTS change causes.
// The bundled firmware is flashed and verified, flashed again at once
// (all unchanged), and after each flash the Device console opens the port without an "already
// open" refusal.
import { test, expect } from "@playwright/test";
import { openIde } from "../support/ide";
import { connectionKind, connectionStatus } from "../support/device-ui";
import { fakeSerialLog, installFakeSerial } from "../support/fake-serial";
import {
  MockBootloader,
  PortBridge,
  chipFact,
  flashAndWaitForDeviceTab,
  flashBaud,
  flashConnection,
  flashPanel,
  flashPeersMissing,
  flashResult,
  flashTab,
} from "../support/flash";

const missing = flashPeersMissing();
test.skip(missing !== null, missing ?? "");
test.setTimeout(240_000);

let mock: MockBootloader;
let bridge: PortBridge;
test.beforeEach(async () => {
  mock = await MockBootloader.start("esp32c3");
  bridge = await PortBridge.start(mock.pty);
});
test.afterEach(async () => {
  await bridge.stop();
  await mock.stop();
});

/// The Device console on the port after a flash: it opened the port (no refusal of the fake,
/// no "already open" reason), and — the mock stays in its loader, which answers no console —
/// the session keeps retrying on it ("Connecting…" or "Reconnecting … : <reason>").
async function expectConsoleOpenedThePort(page: import("@playwright/test").Page, opensBefore: number) {
  await expect(connectionKind(page)).toHaveValue("WebSerial");
  await expect
    .poll(async () => (await fakeSerialLog(page)).filter((l) => l.startsWith("open ")).length, {
      message: "the Device console opens the port after the flash",
    })
    .toBeGreaterThan(opensBefore);
  await expect(connectionStatus(page)).toHaveText(/^(Connecting…|Reconnecting in \d+ s \(attempt \d+\): .+)$/);
  await expect(connectionStatus(page)).not.toContainText("already open");
  const log = await fakeSerialLog(page);
  expect(log.filter((l) => l.includes("refused")), `the fake port's log: ${log.join(" | ")}`).toEqual([]);
}

test("flash the bundled firmware over WebSerial at 460800, again at once, console on the same port", async ({ page }) => {
  await installFakeSerial(page, bridge.url);
  await openIde(page);
  await flashTab(page).click();
  await expect(flashPanel(page).getByRole("radio", { name: /^Ferrite .* for ESP32-C3$/ })).toBeChecked();
  await flashConnection(page).selectOption("Serial");
  await flashBaud(page).selectOption("460800");

  await flashAndWaitForDeviceTab(page);
  let log = await fakeSerialLog(page);
  // Opened at 115200, switched to 460800 (a close and an open), back to 115200 for the console.
  expect(log.filter((l) => l !== "break").slice(0, 3), log.join(" | ")).toEqual(["open 115200", "close", "open 460800"]);
  // The reset pulses read as BREAKs: the flash read on through them.
  expect(log, log.join(" | ")).toContain("break");
  await expectConsoleOpenedThePort(page, log.filter((l) => l.startsWith("open ")).length - 1);

  await flashTab(page).click();
  const result = /^Verified \(MD5\): (\d+) blocks written, (\d+) unchanged$/;
  await expect(flashResult(page)).toHaveText(result);
  const [, written, unchanged] = result.exec((await flashResult(page).textContent()) ?? "")!.map(Number);
  expect(written).toBeGreaterThan(0);
  await expect(chipFact(page, "Chip")).toHaveText("ESP32-C3");

  // At once again: the Device console lets go of the port (its close and the flash's open race),
  // and nothing needs writing.
  const opens = (await fakeSerialLog(page)).filter((l) => l.startsWith("open ")).length;
  await flashAndWaitForDeviceTab(page);
  await expectConsoleOpenedThePort(page, opens + 2);
  await flashTab(page).click();
  await expect(flashResult(page)).toHaveText(`Verified (MD5): 0 blocks written, ${written + unchanged} unchanged`);
  log = await fakeSerialLog(page);
  expect(log.filter((l) => l === "open 460800").length, log.join(" | ")).toBe(2);
});
