// "Save a copy" of a shared project makes it an ordinary project: editable, listed, still there
// after a reload (which then opens it, not the link).
import { test, expect } from "@playwright/test";
import { editorText, openIde, projectsList, replaceScript, scriptEditor, shareLink } from "../support/ide";

test("Save a copy of a shared project keeps an editable project", async ({ page, browser }) => {
  await openIde(page);
  await replaceScript(page, 'print("a shared project, copied");\n');
  const link = await shareLink(page);

  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(link);
    const banner = other.getByRole("region", { name: "Shared project" });
    await expect(banner).toContainText("Shared project (read-only)");
    await banner.getByRole("button", { name: "Save a copy" }).click();
    await expect(banner).toBeHidden();
    await expect(other).not.toHaveURL(/#share=/);
    await expect(projectsList(other).getByRole("button", { name: "My first project", exact: true })).toHaveCount(2);

    // Editable now.
    await other.getByRole("region", { name: "Editor" }).click();
    await expect(scriptEditor(other)).toBeFocused();
    await other.keyboard.press("ControlOrMeta+End");
    await other.keyboard.insertText("// edited after the copy\n");
    await expect(editorText(other)).toContainText("// edited after the copy");

    await other.reload();
    await expect(scriptEditor(other)).toBeEditable();
    await expect(other.getByText("Shared project (read-only)")).toBeHidden();
    await expect(editorText(other)).toContainText('print("a shared project, copied");');
    await expect(editorText(other)).toContainText("// edited after the copy");
  } finally {
    await fresh.close();
  }
});
