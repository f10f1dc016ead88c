// Type a script, run it, see what it prints in the Console.
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run } from "../support/ide";

test("a typed script runs and its print shows in the console", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'var parts = ["Hello", "from", "the", "test"];\nprint(parts.join(" "), 6 * 7);\n');
  await run(page);
  await expect(consoleLog(page)).toContainText("Hello from the test 42");
});
