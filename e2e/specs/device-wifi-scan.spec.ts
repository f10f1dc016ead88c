// The Configuration section's "Scan for networks": the device's Wifi.Scan lists the networks in
// range (the virtual device's one network is the host's own, "host"), and picking one fills the
// SSID field, which Save then sends.
import { test, expect } from "@playwright/test";
import { VirtualDevice } from "../support/device";
import { openIde } from "../support/ide";
import { connectDevice, deviceActivity } from "../support/device-ui";

type WifiConfig = { sta: { ssid: string | null; enable: boolean } };

let device: VirtualDevice;
test.beforeEach(async () => {
  device = await VirtualDevice.start();
});
test.afterEach(async () => {
  await device.stop();
});

test("a scan offers the networks in range and picking one fills the SSID", async ({ page }) => {
  await openIde(page);
  await connectDevice(page, "WebSocket RPC", device.address);
  const config = page.getByRole("region", { name: "Configuration" });
  const ssid = config.getByLabel("Wi-Fi SSID");
  await expect(ssid).toHaveValue("");

  await config.getByRole("button", { name: "Scan for networks" }).click();
  await expect(config.getByRole("status", { name: "Wi-Fi scan" })).toHaveText("1 network in range");
  const networks = config.getByRole("list", { name: "Networks in range" }).getByRole("button");
  await expect(networks).toHaveText(["host"]);

  await networks.first().click();
  await expect(ssid).toHaveValue("host");
  await config.getByRole("button", { name: "Save", exact: true }).click();
  await expect(deviceActivity(page)).toHaveText("Wi-Fi saved");
  const wifi = (await device.rpc("Wifi.GetConfig")) as WifiConfig;
  expect(wifi.sta).toMatchObject({ ssid: "host", enable: true });
});
