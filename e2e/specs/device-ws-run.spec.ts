// "Run on device" over WebSocket RPC to the virtual device: the script's print shows in the
// Device log, it is listed as running (also after a Refresh), Stop stops it; Eval in the
// console realm answers.
import { test, expect } from "@playwright/test";
import { VirtualDevice } from "../support/device";
import { openIde, replaceScript } from "../support/ide";
import { connectDevice, deviceLog, deviceScripts, evalRegion, keepAliveScript, runOnDeviceButton, scriptItem } from "../support/device-ui";

let device: VirtualDevice;
test.beforeEach(async () => {
  device = await VirtualDevice.start();
});
test.afterEach(async () => {
  await device.stop();
});

test("Run on device over WebSocket RPC: output, running, Refresh, Stop, Eval", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, keepAliveScript("hello over websocket"));
  await connectDevice(page, "WebSocket RPC", device.address);

  await runOnDeviceButton(page).click();
  await expect(deviceLog(page)).toContainText("hello over websocket");
  const item = scriptItem(page, "main");
  await expect(item).toContainText("running");

  // The list as the device reports it now.
  await deviceScripts(page).getByRole("button", { name: "Refresh", exact: true }).click();
  await expect(item).toContainText("running");

  // Eval in the console realm (id 0): its globals persist between evaluations.
  const evaluate = evalRegion(page);
  await evaluate.getByRole("combobox", { name: "Eval in" }).selectOption({ label: "console (id 0)" });
  await evaluate.getByRole("textbox", { name: "Eval code" }).fill("var answer = 6 * 7; answer");
  await evaluate.getByRole("button", { name: "Evaluate", exact: true }).click();
  await expect(evaluate.getByLabel("Eval result")).toHaveText("42");
  await evaluate.getByRole("textbox", { name: "Eval code" }).fill("answer + 1");
  await evaluate.getByRole("button", { name: "Evaluate", exact: true }).click();
  await expect(evaluate.getByLabel("Eval result")).toHaveText("43");

  await item.getByRole("button", { name: "Stop", exact: true }).click();
  await expect(item).toContainText("stopped");
});
