// Flashing through the IDE over the serial bridge to `esp32-mock-bootloader` (a ROM-loader
// emulation on a PTY, validated by the real esptool): the Flash page writes an ESP32-C3 app image
// at 0x10000 and verifies it (MD5), a second flash of the same image writes nothing (every block
// unchanged), and `ferrite read-flash` reads back exactly the image once the bridge let go of
// the PTY. After each flash (reset on) the Device tab is shown, connecting over the same bridge
// (the mock has no modem lines and stays in its loader: what the console finds there is not
// asserted).
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
  // This build bundles no firmware (dist/ has no firmware/index.json): only a file of one's own.
  await expect(flashPanel(page).getByRole("status", { name: "Bundled firmware" })).toHaveText(
    "No bundled firmware in this build",
  );
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
