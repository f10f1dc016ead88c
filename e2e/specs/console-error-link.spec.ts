// An error's link in the console (`main.js:LINE:COL`) opens the file and reveals that line.
import { test, expect } from "@playwright/test";
import { consoleLog, editorText, ERROR_LINE, openIde, replaceScript, run } from "../support/ide";

// The failing call is far below the first lines, out of view while the top of the file shows.
const FILLER = Array.from({ length: 150 }, (_, i) => `// filler line ${i + 1}`).join("\n");
const SCRIPT = `print("before the error");\n${FILLER}\nmissing_function_for_the_link();\n`;
const ERROR_AT = 152;

test("an error's link reveals its line in the editor", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, SCRIPT);
  await expect(editorText(page)).not.toContainText("missing_function_for_the_link");
  await run(page);
  await expect(consoleLog(page)).toContainText(ERROR_LINE);
  const link = consoleLog(page).getByRole("link", { name: new RegExp(`^main\\.js:${ERROR_AT}:\\d+$`) });
  await expect(link).toBeVisible();

  await link.click();
  await expect(editorText(page)).toContainText("missing_function_for_the_link();");
});
