// A share link carries the project: opened in a fresh browser (a new context: no storage in
// common), it shows the same code read-only and runs nothing until "Run in simulator".
import { test, expect } from "@playwright/test";
import { consoleLog, editorText, openIde, replaceScript, scriptEditor, status, statusText } from "../support/ide";

const SHARED = 'var shared = "shared project";\nprint(shared, "says", 40 + 2);\n';

test("a share link opens the same project read-only, idle until Run in simulator", async ({ page, browser, baseURL }) => {
  await openIde(page);
  await replaceScript(page, SHARED);
  await page.getByRole("button", { name: "Share", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Share" });
  const linkBox = dialog.getByRole("textbox", { name: "Share link" });
  await expect(linkBox).toHaveValue(/#share=v1\./);
  await expect(dialog.getByRole("button", { name: "Copy link" })).toBeVisible();
  const link = await linkBox.inputValue();
  expect(new URL(link).origin).toBe(new URL(baseURL!).origin);

  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(link);
    await expect(other.getByText("Shared project (read-only)")).toBeVisible();
    await expect(editorText(other)).toContainText('var shared = "shared project";');
    await expect(editorText(other)).toContainText('print(shared, "says", 40 + 2);');

    // Read-only: typing changes nothing.
    await other.getByRole("region", { name: "Editor" }).click();
    await expect(scriptEditor(other)).toBeFocused();
    await other.keyboard.insertText("typed_into_a_shared_project");
    await expect(editorText(other)).toContainText('var shared = "shared project";');
    await expect(editorText(other)).not.toContainText("typed_into_a_shared_project");

    // Nothing ran: once the simulator is loaded and idle ("Ready"), the console is still empty.
    // (Waiting for "Ready" first: before it, nothing could have run yet anyway.)
    await expect(status(other)).toHaveText(statusText("Ready"));
    await expect(consoleLog(other)).toHaveText("");
    await expect(status(other)).toHaveText(statusText("Ready"));

    await other.getByRole("button", { name: "Run in simulator" }).click();
    await expect(consoleLog(other)).toContainText("shared project says 42");
  } finally {
    await fresh.close();
  }
});
