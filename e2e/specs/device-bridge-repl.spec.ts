// Over the serial bridge (`ferrite bridge --device`): the IDE connects to the virtual device's
// console, the device REPL evaluates `1+2` on the device, and the Raw REPL toggle shows the
// device's own prompt.
import { test, expect } from "@playwright/test";
import { SerialBridge } from "../support/device";
import { openIde } from "../support/ide";
import { connectDevice, connectionStatus, deviceLog, deviceRepl, deviceReplLine, rawReplToggle } from "../support/device-ui";

let bridge: SerialBridge;
test.beforeEach(async () => {
  bridge = await SerialBridge.start();
});
test.afterEach(async () => {
  await bridge.stop();
});

test("the device REPL round trip over the serial bridge, and the raw REPL", async ({ page }) => {
  await openIde(page);
  await connectDevice(page, "Serial bridge", bridge.url);
  await expect(connectionStatus(page)).toHaveText("Connected");

  await deviceReplLine(page, "1+2");
  await expect(deviceLog(page)).toContainText("> 1+2");
  await expect(deviceLog(page).getByText("3", { exact: true })).toBeVisible();
  await expect(deviceRepl(page)).toHaveValue("");

  // The raw REPL: the device's console in human mode, its prompt (`[free/used] > `) as text.
  await rawReplToggle(page).click();
  await expect(rawReplToggle(page)).toHaveAttribute("aria-pressed", "true");
  await deviceReplLine(page, "6*7");
  await expect(deviceLog(page)).toContainText(/\[\d+\/\d+\] > /);
  await expect(deviceLog(page).getByText("42", { exact: true })).toBeVisible();
});
