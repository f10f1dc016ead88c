// The simulator's Wi-Fi station: the board's "Access point in range" switch takes the access
// point away and brings it back; the script's Wifi.changed callback and status handler see the
// station leave and join again, and the board shows why it is not joined.
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, status, statusText, virtualBoard } from "../support/ide";

const SCRIPT = `Wifi.changed(function (code) { print("wifi changed", code); });
Shelly.addStatusHandler(function (s) {
  if (s.component === "wifi") print("wifi status", s.delta.status);
});
print("on", Wifi.show(), Wifi.ip());
`;

test("the access point going away and coming back reaches the script", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, SCRIPT);
  await run(page);
  await expect(consoleLog(page)).toContainText("on ferrite-sim 192.168.33.20");
  await expect(status(page)).toHaveText(statusText("Running"));

  const wifi = virtualBoard(page).getByRole("group", { name: "Wi-Fi" });
  await expect(wifi.getByRole("status", { name: "Wi-Fi status" })).toHaveText("got ip 192.168.33.20 (ferrite-sim)");
  const inRange = wifi.getByRole("switch", { name: "Access point in range" });
  await expect(inRange).toHaveAttribute("aria-checked", "true");

  await inRange.click();
  await expect(inRange).toHaveAttribute("aria-checked", "false");
  await expect(consoleLog(page)).toContainText("wifi changed 1");
  await expect(consoleLog(page)).toContainText("wifi status connecting");
  await expect(wifi.getByRole("status", { name: "Wi-Fi status" })).toHaveText("connecting");
  await expect(wifi.getByLabel("Wi-Fi error")).toHaveText(
    'lost "ferrite-sim": the access point went silent (BeaconTimeout)',
  );

  await inRange.click();
  await expect(consoleLog(page)).toContainText("wifi changed 3");
  await expect(consoleLog(page)).toContainText("wifi status got ip");
  await expect(wifi.getByRole("status", { name: "Wi-Fi status" })).toHaveText("got ip 192.168.33.20 (ferrite-sim)");
  await expect(wifi.getByLabel("Wi-Fi error")).toHaveCount(0);
});
