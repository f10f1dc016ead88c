// Flashing through the IDE over the serial bridge to `esp32-mock-bootloader` (a ROM-loader
// emulation on a PTY, validated by the real esptool): the Flash page writes an ESP32-C3 app image
// at its default offset 0x10000 (the field left empty) and verifies it (MD5), a second flash of
// the same image writes nothing (every block unchanged), and `ferrite read-flash` reads back
// exactly the image once the bridge let go of the PTY. The bridge's PTY has no modem lines (it
// refuses DTR/RTS): the page asks it and flashes without reset sequences, and the result says
// to press RESET. After each flash (reset on) the Device tab is shown, connecting over the same
// bridge; the mock stays in its loader, which answers no console, so the session keeps retrying
// there. The build's bundled firmware (dist/firmware, made by scripts/firmware.sh from
// firmware/esp32c3) is flashed the same way: the merged image from 0, its app read back. A
// Cancel while writing ends in "Failed: cancelled" on the Flash tab.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test, expect } from "@playwright/test";
import { openIde } from "../support/ide";
import { connectionKind, connectionStatus, deviceAddress } from "../support/device-ui";
import {
  MockBootloader,
  PortBridge,
  bridgeUrl,
  chipFact,
  deviceRunTab,
  esp32c3AppImage,
  firmwareFile,
  firmwareFileKind,
  flashAndWaitForDeviceTab,
  flashButton,
  flashConnection,
  flashNotes,
  flashOffset,
  flashPanel,
  flashPeersMissing,
  flashProgress,
  flashResult,
  flashStage,
  flashTab,
  readFlash,
} from "../support/flash";

/// `text` as a literal part of a RegExp.
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/// The radio button of the bundled ESP32-C3 firmware ("Ferrite <version> for ESP32-C3").
function bundledFirmware(page: import("@playwright/test").Page) {
  return flashPanel(page).getByRole("radio", { name: /^Ferrite .* for ESP32-C3$/ });
}

/// The build's bundled firmware files (scripts/ide.sh build → scripts/firmware.sh).
function distFirmware(file: string): Buffer {
  const dist = join(dirname(dirname(test.info().config.configFile!)), "dist");
  return readFileSync(join(dist, "firmware", file));
}

const OFFSET = 0x10000;

/// What the result adds when the line cannot pulse EN (a bridge on a PTY).
const PRESS_RESET = "; press the board's RESET button to start the new firmware (this line cannot reset it)";

/// The Device console after a flash over the bridge to the mock: it connected the bridge, and
/// the mock's loader answers no console, so the session is connecting or retrying — never
/// "Connection lost" (which would mean the bridge refused it or took it over).
async function expectConsoleOnTheBridge(page: import("@playwright/test").Page) {
  await expect(connectionKind(page)).toHaveValue("Serial bridge");
  await expect(deviceAddress(page)).toHaveValue(bridge!.url);
  await expect(connectionStatus(page)).toHaveText(/^Reconnecting in \d+ s \(attempt \d+\): .+$/);
}

const missing = flashPeersMissing();
test.skip(missing !== null, missing ?? "");
test.setTimeout(180_000);

let mock: MockBootloader;
let bridge: PortBridge | null = null;
test.beforeEach(async () => {
  mock = await MockBootloader.start("esp32c3");
  bridge = await PortBridge.start(mock.pty);
});
test.afterEach(async () => {
  await bridge?.stop();
  await mock.stop();
});

test("flash an app image over the bridge, re-flash it unchanged, read it back", async ({ page }) => {
  const image = esp32c3AppImage(200_000);

  await openIde(page);
  await flashTab(page).click();
  await expect(flashPanel(page)).toBeVisible();
  // The build bundles the ESP32-C3 firmware (the default choice); choosing a file switches to it.
  await expect(bundledFirmware(page)).toBeChecked();
  await flashConnection(page).selectOption("Bridge");
  await bridgeUrl(page).fill(bridge!.url);
  await firmwareFile(page).setInputFiles({ name: "app.bin", mimeType: "application/octet-stream", buffer: image });
  await expect(firmwareFileKind(page)).toHaveText(/ESP32-C3 app image/);
  // The offset is left empty: an app image goes to its default, 0x10000 (read back below).
  await expect(flashOffset(page)).toHaveValue("");
  await expect(flashOffset(page)).toHaveAttribute("placeholder", "0x10000 (an app's default)");

  // The first flash: every block is written (the mock's flash starts erased). With "Reset after
  // flashing" (the default) the Device tab is then shown, connecting its console over the same
  // bridge.
  await flashAndWaitForDeviceTab(page);
  await expectConsoleOnTheBridge(page);
  await flashTab(page).click();
  const first = new RegExp(`^Verified \\(MD5\\): (\\d+) blocks written, 0 unchanged${escape(PRESS_RESET)}$`);
  await expect(flashResult(page)).toHaveText(first);
  const written = Number(first.exec((await flashResult(page).textContent()) ?? "")?.[1]);
  // Every 4 KiB block of the image (its last one partly).
  expect(written).toBe(Math.ceil(image.length / 4096));
  await expect(chipFact(page, "Chip")).toHaveText("ESP32-C3");
  await expect(chipFact(page, "Stub")).toHaveText("yes");
  await expect(flashNotes(page).getByRole("listitem").filter({ hasText: /^this line cannot drive DTR\/RTS/ })).toHaveCount(1);
  // The transfer's last report: everything to write was written.
  await expect(flashProgress(page)).toHaveAttribute("aria-valuetext", /^Done: (\S+ [kM]B) of \1/);

  // The same image again: the Device tab lets go of the bridge first; nothing is written.
  await flashAndWaitForDeviceTab(page);
  await expectConsoleOnTheBridge(page);
  await flashTab(page).click();
  await expect(flashResult(page)).toHaveText(`Verified (MD5): 0 blocks written, ${written} unchanged${PRESS_RESET}`);

  // Read back once nothing holds the PTY any more.
  await bridge!.stop();
  bridge = null;
  const back = readFlash(mock.pty, OFFSET, image.length);
  expect(back.length).toBe(image.length);
  expect(back.equals(image), "the flash holds the image byte for byte").toBe(true);
});

test("flash the bundled firmware over the bridge and read its app back", async ({ page }) => {
  const merged = distFirmware("ferrite-esp32c3.bin");
  const app = distFirmware("ferrite-esp32c3-app.bin");

  await openIde(page);
  await flashTab(page).click();
  await expect(bundledFirmware(page)).toBeChecked();
  await flashConnection(page).selectOption("Bridge");
  await bridgeUrl(page).fill(bridge!.url);

  await flashAndWaitForDeviceTab(page);
  await expectConsoleOnTheBridge(page);
  await flashTab(page).click();
  // The merged image from 0: bootloader, partition table and app; its erased gaps (all 0xFF)
  // need no writing on the mock's erased flash, so fewer blocks are written than it spans.
  const result = new RegExp(`^Verified \\(MD5\\): (\\d+) blocks written, (\\d+) unchanged${escape(PRESS_RESET)}$`);
  await expect(flashResult(page)).toHaveText(result);
  const [, written, unchanged] = result.exec((await flashResult(page).textContent()) ?? "")!.map(Number);
  expect(written).toBeGreaterThan(Math.ceil(app.length / 4096) - 1);
  expect(written + unchanged).toBe(Math.ceil(merged.length / 4096));
  await expect(chipFact(page, "Chip")).toHaveText("ESP32-C3");

  await bridge!.stop();
  bridge = null;
  const back = readFlash(mock.pty, OFFSET, app.length);
  expect(back.equals(app), "the app partition holds the bundled app image byte for byte").toBe(true);
});

test("cancel a flash while it writes", async ({ page }) => {
  const image = esp32c3AppImage(600_000);

  await openIde(page);
  await flashTab(page).click();
  await flashConnection(page).selectOption("Bridge");
  await bridgeUrl(page).fill(bridge!.url);
  await firmwareFile(page).setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: image });
  await expect(firmwareFileKind(page)).toHaveText(/ESP32-C3 app image/);
  await flashButton(page).click();
  await expect(flashStage(page)).toHaveText(/^Writing /, { timeout: 60_000 });
  await flashPanel(page).getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(flashResult(page)).toHaveText("Failed: cancelled");
  // The page stays on the Flash tab, ready for the next flash.
  await expect(flashButton(page)).toBeEnabled();
  await expect(deviceRunTab(page)).toHaveAttribute("aria-selected", "false");
});
