// The console's input evaluates on the device: `1+2` answers 3.
import { test, expect } from "@playwright/test";
import { consoleInput, consoleLog, openIde, replaceScript, run } from "../support/ide";

test("the console input evaluates an expression on the device", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'Timer.set(1000, true, function () {});\nprint("device up");\n');
  await run(page);
  await expect(consoleLog(page)).toContainText("device up");

  await consoleInput(page).fill("1+2");
  await consoleInput(page).press("Enter");
  await expect(consoleLog(page)).toContainText("> 1+2");
  await expect(consoleLog(page).getByText("3", { exact: true })).toBeVisible();
  await expect(consoleInput(page)).toHaveValue("");
});
