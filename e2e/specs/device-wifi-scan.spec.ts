// The Configuration section's "Scan for networks": the device's Wifi.Scan lists the networks in
// range (the virtual device's one network is the host's own, "host"), and picking one fills the
// SSID field, which Save then sends; the station's state beside the field follows the device.
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
  // The station's state beside the field (the virtual device is on the host's network).
  const state = config.getByRole("status", { name: "Wi-Fi state" });
  await expect(state).toHaveText(/^got ip \S+ \(host\)$/);

  await config.getByRole("button", { name: "Scan for networks" }).click();
  await expect(config.getByRole("status", { name: "Wi-Fi scan" })).toHaveText("1 network in range");
  const networks = config.getByRole("list", { name: "Networks in range" }).getByRole("button");
  await expect(networks).toHaveText(["host"]);

  await networks.first().click();
  await expect(ssid).toHaveValue("host");
  await config.getByRole("button", { name: "Save", exact: true }).click();
  await expect(deviceActivity(page)).toHaveText("Wi-Fi saved");
  let wifi = (await device.rpc("Wifi.GetConfig")) as WifiConfig;
  expect(wifi.sta).toMatchObject({ ssid: "host", enable: true });

  // An empty SSID switches the station off: the state follows the device's status change.
  await ssid.fill("");
  await config.getByRole("button", { name: "Save", exact: true }).click();
  await expect(deviceActivity(page)).toHaveText("Wi-Fi saved");
  await expect(state).toHaveText("disconnected");
  wifi = (await device.rpc("Wifi.GetConfig")) as WifiConfig;
  expect(wifi.sta.enable).toBe(false);
});
