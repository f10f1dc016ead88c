// Flashing through the IDE over the serial bridge to `esp32-mock-bootloader` (a ROM-loader
// emulation on a PTY, validated by the real esptool): the Flash page writes an ESP32-C3 app image
// at 0x10000 and verifies it (MD5), a second flash of the same image writes nothing (every block
// unchanged), and `ferrite read-flash` reads back exactly the image once the bridge let go of
// the PTY. After each flash (reset on) the Device tab is shown, connecting over the same bridge
// (the mock has no modem lines and stays in its loader: what the console finds there is not
// asserted). The build's bundled firmware (dist/firmware, made by scripts/firmware.sh from
// firmware/esp32c3) is flashed the same way: the merged image from 0, its app read back.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test, expect } from "@playwright/test";
import { openIde } from "../support/ide";
import { connectionKind, connectionStatus, deviceAddress } from "../support/device-ui";
import {
  MockBootloader,
  PortBridge,
  bridgeUrl,
  chipFacts,
  esp32c3AppImage,
  firmwareFile,
  firmwareFileKind,
  flashAndWaitForDeviceTab,
  flashConnection,
  flashOffset,
  flashPanel,
  flashPeersMissing,
  flashProgress,
  flashResult,
  flashTab,
  readFlash,
} from "../support/flash";

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
  await flashOffset(page).fill("0x10000");

  // The first flash: every block is written (the mock's flash starts erased). With "Reset after
  // flashing" (the default) the Device tab is then shown, connecting its console over the same
  // bridge.
  await flashAndWaitForDeviceTab(page);
  await expect(connectionKind(page)).toHaveValue("Serial bridge");
  await expect(deviceAddress(page)).toHaveValue(bridge!.url);
  await expect(connectionStatus(page)).not.toHaveText("Disconnected");
  await flashTab(page).click();
  const first = /^Verified \(MD5\): (\d+) blocks written, 0 unchanged$/;
  await expect(flashResult(page)).toHaveText(first);
  const written = Number(first.exec((await flashResult(page).textContent()) ?? "")?.[1]);
  // Every 4 KiB block of the image (its last one partly).
  expect(written).toBe(Math.ceil(image.length / 4096));
  await expect(flashProgress(page)).toHaveAttribute("aria-valuenow", "100");
  await expect(chipFacts(page)).toContainText("ESP32-C3");

  // The same image again: the Device tab lets go of the bridge first; nothing is written.
  await flashAndWaitForDeviceTab(page);
  await flashTab(page).click();
  await expect(flashResult(page)).toHaveText(`Verified (MD5): 0 blocks written, ${written} unchanged`);

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
  await flashTab(page).click();
  // The merged image from 0: bootloader, partition table and app; its erased gaps (all 0xFF)
  // need no writing on the mock's erased flash, so fewer blocks are written than it spans.
  const result = /^Verified \(MD5\): (\d+) blocks written, (\d+) unchanged$/;
  await expect(flashResult(page)).toHaveText(result);
  const [, written, unchanged] = result.exec((await flashResult(page).textContent()) ?? "")!.map(Number);
  expect(written).toBeGreaterThan(Math.ceil(app.length / 4096) - 1);
  expect(written + unchanged).toBe(Math.ceil(merged.length / 4096));
  await expect(chipFacts(page)).toContainText("ESP32-C3");

  await bridge!.stop();
  bridge = null;
  const back = readFlash(mock.pty, OFFSET, app.length);
  expect(back.equals(app), "the app partition holds the bundled app image byte for byte").toBe(true);
});
