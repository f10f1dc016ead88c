// Ctrl/Cmd+S in the editor saves the project at once and says "Saved" when it is durable: the
// edit is then in IndexedDB, so a reload shows it even without the localStorage journal.
import { test, expect } from "@playwright/test";
import { editorText, openIde, replaceScript, scriptEditor, status, statusText } from "../support/ide";

test("Ctrl+S in the editor saves the edit and says Saved", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'print("saved by the shortcut");\n');
  await expect(status(page)).not.toHaveText(statusText("Saved"));

  await expect(scriptEditor(page)).toBeFocused();
  await page.keyboard.press("ControlOrMeta+S");
  await expect(status(page)).toHaveText(statusText("Saved"));
  // The shortcut typed nothing (the cursor is at the top of the file).
  await expect(editorText(page)).toContainText('print("saved by the shortcut");');
  await expect(editorText(page)).not.toContainText('sprint("saved');

  // Durable: without the synchronous journal the reload reads the project from IndexedDB.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(scriptEditor(page)).toBeEditable();
  await expect(editorText(page)).toContainText('print("saved by the shortcut");');
});
