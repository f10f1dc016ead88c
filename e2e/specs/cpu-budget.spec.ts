// A script that never returns to the event loop is ended by the CPU budget, with an error.
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, status, statusText } from "../support/ide";

test("while(true) at top level is stopped by the CPU budget with an error in the console", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'print("before the loop");\nwhile (true) {}\n');
  await run(page);
  await expect(consoleLog(page)).toContainText("before the loop");
  await expect(consoleLog(page)).toContainText(/[A-Z][A-Za-z]*Error: .*CPU budget/);
  await expect(status(page)).not.toHaveText(statusText("Running"));
});
