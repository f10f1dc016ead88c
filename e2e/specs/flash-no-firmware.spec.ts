// The Flash page of a build without bundled firmware, and with a broken manifest: the
// manifest `firmware/index.json` is routed to a 404 and to text that is not JSON. The page says
// "No bundled firmware in this build" (with the reason for a broken one), offers only the file
// input, and Flash without a file does not start: "Choose a .bin or .elf file to flash.".
// No peers: nothing is flashed.
import { test, expect, type Page } from "@playwright/test";
import { openIde } from "../support/ide";
import { bundledFirmwareStatus, flashButton, flashPanel, flashResult, flashTab } from "../support/flash";

// The app's service worker would fetch the manifest itself, out of page.route's sight.
test.use({ serviceWorkers: "block" });

async function expectNoBundledFirmware(page: Page, why: RegExp) {
  await openIde(page);
  await flashTab(page).click();
  await expect(bundledFirmwareStatus(page)).toHaveText(why);
  // No image to choose; "A file of mine" is the only source, so it is not offered as a choice.
  await expect(flashPanel(page).getByRole("radio")).toHaveCount(0);
  await expect(flashPanel(page).getByLabel("Firmware file", { exact: true })).toBeVisible();
  await flashButton(page).click();
  await expect(flashResult(page)).toHaveText("Choose a .bin or .elf file to flash.");
}

test("a build without bundled firmware (the manifest is missing)", async ({ page }) => {
  await page.route("**/firmware/index.json", (route) => route.fulfill({ status: 404, body: "not found" }));
  await expectNoBundledFirmware(page, /^No bundled firmware in this build$/);
});

test("a broken firmware manifest", async ({ page }) => {
  await page.route("**/firmware/index.json", (route) =>
    route.fulfill({ status: 200, contentType: "application/json", body: "{ this is not json" }),
  );
  await expectNoBundledFirmware(page, /^No bundled firmware in this build \(unreadable firmware manifest: .+\)$/);
});
