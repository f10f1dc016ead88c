// "Run on device" over the serial bridge: the editor's script is uploaded to the virtual device
// and started, its print shows in the Device log, the Device scripts list shows it running, and
// its Stop button stops it.
import { test, expect } from "@playwright/test";
import { SerialBridge } from "../support/device";
import { openIde, replaceScript } from "../support/ide";
import { connectDevice, deviceLog, keepAliveScript, runOnDeviceButton, scriptItem } from "../support/device-ui";

let bridge: SerialBridge;
test.beforeEach(async () => {
  bridge = await SerialBridge.start();
});
test.afterEach(async () => {
  await bridge.stop();
});

test("Run on device over the serial bridge: output, running, stopped", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, keepAliveScript("hello from the bridged device"));
  await connectDevice(page, "Serial bridge", bridge.url);

  await runOnDeviceButton(page).click();
  await expect(deviceLog(page)).toContainText("hello from the bridged device");
  const item = scriptItem(page, "main");
  await expect(item).toContainText("running");

  await item.getByRole("button", { name: "Stop", exact: true }).click();
  await expect(item).toContainText("stopped");
});
