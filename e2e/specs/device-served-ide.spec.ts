// The virtual device serves the IDE itself (`ferrite device --ide dist`, as ViperIDE does): the
// IDE loads from http://<device>/ide/, its editor takes input, and it connects to that same
// device over WebSocket RPC and runs a script there.
import { test, expect } from "@playwright/test";
import { dirname, join } from "node:path";
import { VirtualDevice } from "../support/device";
import { consoleLog, openIde, replaceScript, run } from "../support/ide";
import { connectDevice, deviceInfo, deviceLog, keepAliveScript, runOnDeviceButton } from "../support/device-ui";

let device: VirtualDevice;
test.beforeEach(async () => {
  const dist = join(dirname(dirname(test.info().config.configFile!)), "dist");
  device = await VirtualDevice.start(["--ide", dist]);
});
test.afterEach(async () => {
  await device.stop();
});

test("the IDE served by the device at /ide/ loads, edits, simulates and runs on that device", async ({ page }) => {
  await openIde(page, `http://${device.address}/ide/`);
  await expect(page).toHaveTitle("Ferrite");
  await replaceScript(page, keepAliveScript("served by the device"));

  // The simulator works from there too (its worker and wasm under /ide/).
  await run(page);
  await expect(consoleLog(page)).toContainText("served by the device");

  const info = (await device.rpc("Shelly.GetDeviceInfo")) as { id: string };
  await connectDevice(page, "WebSocket RPC", device.address);
  await expect(deviceInfo(page)).toContainText(info.id);
  await runOnDeviceButton(page).click();
  await expect(deviceLog(page)).toContainText("served by the device");
});
