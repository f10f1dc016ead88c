// Every edit is saved at once: a reload right after typing shows it — even when the edit never
// reached IndexedDB (the synchronous localStorage journal keeps it).
import { test, expect } from "@playwright/test";
import { editorText, openIde, replaceScript, scriptEditor, status, statusText } from "../support/ide";

test("a reload right after typing keeps the edit, from the journal alone", async ({ page }) => {
  await openIde(page);
  // The project is in IndexedDB (Ctrl+S answers "Saved" once it is durable).
  await page.keyboard.press("ControlOrMeta+S");
  await expect(status(page)).toHaveText(statusText("Saved"));

  // From now on every IndexedDB write fails in this page (the reload gets a normal one).
  await page.evaluate(() => {
    IDBObjectStore.prototype.put = function () {
      throw new DOMException("blocked by the test", "UnknownError");
    };
  });
  await replaceScript(page, 'print("kept across reloads");\n');
  await page.keyboard.insertText("// typed just before the reload\n");
  // The write was tried and failed: only the journal holds the edit.
  await expect(page.getByRole("alert").filter({ hasText: "Not saved" })).toBeVisible();

  await page.reload();
  await expect(scriptEditor(page)).toBeEditable();
  await expect(editorText(page)).toContainText('print("kept across reloads");');
  await expect(editorText(page)).toContainText("// typed just before the reload");
});
