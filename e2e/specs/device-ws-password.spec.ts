// A device with a password refuses the IDE until the user enters it: the "Device password"
// dialog opens, a wrong password is refused ("Wrong password"), the right one unlocks the device
// (its scripts load and Run on device works).
import { test, expect } from "@playwright/test";
import { createHash } from "node:crypto";
import { VirtualDevice } from "../support/device";
import { openIde, replaceScript } from "../support/ide";
import {
  connectionStatus,
  deviceLog,
  keepAliveScript,
  passwordDialog,
  passwordField,
  runOnDeviceButton,
  scriptItem,
  scriptsList,
  startConnecting,
} from "../support/device-ui";

const PASSWORD = "correct horse";

let device: VirtualDevice;
test.beforeEach(async () => {
  device = await VirtualDevice.start();
  // A script on the device, to see the list load once unlocked.
  const { id } = (await device.rpc("Script.Create", { name: "already-there" })) as { id: number };
  await device.rpc("Script.PutCode", { id, code: 'print("already there");\n' });
  // The password (PROTOCOL §4.4): ha1 = sha256("admin:<device id>:<password>").
  const info = (await device.rpc("Shelly.GetDeviceInfo")) as { id: string };
  const ha1 = createHash("sha256").update(`admin:${info.id}:${PASSWORD}`).digest("hex");
  await device.rpc("Shelly.SetAuth", { user: "admin", realm: info.id, ha1 });
});
test.afterEach(async () => {
  await device.stop();
});

test("a device with a password asks for it, refuses a wrong one and works with the right one", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, keepAliveScript("unlocked and running"));
  await startConnecting(page, "WebSocket RPC", device.address);

  const dialog = passwordDialog(page);
  await expect(dialog).toBeVisible();
  await passwordField(page).fill("not the password");
  await dialog.getByRole("button", { name: "Unlock", exact: true }).click();
  await expect(dialog.getByRole("alert")).toHaveText("Wrong password");

  await passwordField(page).fill(PASSWORD);
  await dialog.getByRole("button", { name: "Unlock", exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(connectionStatus(page)).toHaveText("Connected");
  await expect(scriptItem(page, "already-there")).toBeVisible();

  await runOnDeviceButton(page).click();
  await expect(deviceLog(page)).toContainText("unlocked and running");
  await expect(scriptsList(page).getByRole("listitem")).toHaveCount(2);
  await expect(scriptItem(page, "main")).toContainText("running");
});
