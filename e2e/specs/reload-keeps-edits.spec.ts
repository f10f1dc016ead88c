// Every edit is saved at once: a reload right after typing shows it.
import { test, expect } from "@playwright/test";
import { editorText, openIde, replaceScript, scriptEditor } from "../support/ide";

test("a reload right after typing keeps the edit", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'print("kept across reloads");\n');
  await page.keyboard.insertText("// typed just before the reload\n");
  await page.reload();
  await expect(scriptEditor(page)).toBeEditable();
  await expect(editorText(page)).toContainText('print("kept across reloads");');
  await expect(editorText(page)).toContainText("// typed just before the reload");
});
