// The device dies in the middle of "Run on device" (a large script, uploaded in many chunks):
// the IDE says the upload failed and that the connection is gone, leaves no progress bar behind,
// reconnects by itself when the device is back, and a second Run on device then works.
import { test, expect } from "@playwright/test";
import { VirtualDevice } from "../support/device";
import { openIde, replaceScript } from "../support/ide";
import {
  connectDevice,
  connectionStatus,
  deviceActivity,
  deviceLog,
  paddedScript,
  runOnDeviceButton,
  scriptItem,
  uploadProgress,
} from "../support/device-ui";

/// About 50 chunks of 4 KiB: an upload long enough to kill the device in the middle of it.
const SCRIPT_BYTES = 200_000;

let device: VirtualDevice;
test.beforeEach(async () => {
  // The default script limit (Shelly's 20 KiB) would refuse this script.
  device = await VirtualDevice.start(["--limit", `script_bytes=${2 * SCRIPT_BYTES}`]);
});
test.afterEach(async () => {
  await device.stop();
});

test("a device lost mid-upload is reported, reconnects by itself, and Run on device works again", async ({ page }) => {
  test.setTimeout(120_000);
  await openIde(page);
  await replaceScript(page, paddedScript("the big script runs", SCRIPT_BYTES));
  await connectDevice(page, "WebSocket RPC", device.address);

  await runOnDeviceButton(page).click();
  // Kill the device as soon as some chunks are in (polled in the page, every frame).
  await page.waitForFunction(() => {
    const bar = document.querySelector('[role="progressbar"][aria-label="Upload"]');
    return bar !== null && Number(bar.getAttribute("aria-valuenow")) > 0;
  }, undefined, { polling: "raf" });
  await device.kill();

  await expect(deviceActivity(page)).toContainText(/^Upload failed at upload/);
  await expect(connectionStatus(page)).toHaveText(/^(Reconnecting|Connection lost)/);
  await expect(uploadProgress(page)).toHaveCount(0);

  await device.restart();
  await expect(connectionStatus(page)).toHaveText("Connected", { timeout: 30_000 });

  await runOnDeviceButton(page).click();
  await expect(deviceActivity(page)).toContainText(/^Running main on the device/, { timeout: 30_000 });
  await expect(deviceLog(page)).toContainText("the big script runs");
  await expect(scriptItem(page, "main")).toContainText("running");
  await expect(uploadProgress(page)).toHaveCount(0);
});
