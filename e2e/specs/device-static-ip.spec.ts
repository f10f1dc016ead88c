// The Configuration section sets the station's IPv4 address: a static address reaches the device
// (its Wifi.GetConfig shows it), one the device refuses shows the device's reason and changes
// nothing, and an empty address goes back to DHCP.
import { test, expect } from "@playwright/test";
import { VirtualDevice } from "../support/device";
import { openIde } from "../support/ide";
import { connectDevice, deviceActivity } from "../support/device-ui";

type WifiConfig = { sta: { ipv4mode: string; ip: string | null; netmask: string | null; gw: string | null; nameserver: string | null } };

let device: VirtualDevice;
test.beforeEach(async () => {
  device = await VirtualDevice.start();
});
test.afterEach(async () => {
  await device.stop();
});

test("the configuration sets a static IPv4 address, shows a refusal and goes back to DHCP", async ({ page }) => {
  await openIde(page);
  await connectDevice(page, "WebSocket RPC", device.address);
  const config = page.getByRole("region", { name: "Configuration" });
  const save = config.getByRole("button", { name: "Save", exact: true });

  await config.getByLabel("Static IPv4 address").fill("192.168.1.20");
  await config.getByLabel("Netmask").fill("255.255.255.0");
  await config.getByLabel("Gateway").fill("192.168.1.1");
  await config.getByLabel("DNS server").fill("192.168.1.2");
  await save.click();
  await expect(deviceActivity(page)).toHaveText("Wi-Fi saved");
  let wifi = (await device.rpc("Wifi.GetConfig")) as WifiConfig;
  expect(wifi.sta).toMatchObject({
    ipv4mode: "static",
    ip: "192.168.1.20",
    netmask: "255.255.255.0",
    gw: "192.168.1.1",
    nameserver: "192.168.1.2",
  });

  await config.getByLabel("Netmask").fill("255.0.255.0");
  await save.click();
  await expect(deviceActivity(page)).toContainText("Saving Wi-Fi failed");
  await expect(deviceActivity(page)).toContainText("not a netmask");
  wifi = (await device.rpc("Wifi.GetConfig")) as WifiConfig;
  expect(wifi.sta.netmask).toBe("255.255.255.0");

  await config.getByLabel("Static IPv4 address").fill("");
  await save.click();
  await expect(deviceActivity(page)).toHaveText("Wi-Fi saved");
  wifi = (await device.rpc("Wifi.GetConfig")) as WifiConfig;
  expect(wifi.sta.ipv4mode).toBe("dhcp");
});
