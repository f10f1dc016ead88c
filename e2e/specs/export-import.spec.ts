// Export downloads the project as `<name>.ferrite.json`; importing that file (here in a fresh
// browser, nothing in common) makes a project with the same code.
import { test, expect } from "@playwright/test";
import { editorText, openIde, projectsList, replaceScript } from "../support/ide";

test("an exported project imports as a new project", async ({ page, browser }) => {
  await openIde(page);
  await replaceScript(page, 'print("exported and imported");\n');
  const sidebar = page.getByRole("navigation", { name: "Projects" });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    sidebar.getByRole("button", { name: "Export", exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("My first project.ferrite.json");
  const file = test.info().outputPath("export.ferrite.json");
  await download.saveAs(file);

  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await openIde(other);
    await expect(projectsList(other).getByRole("button", { name: "My first project", exact: true })).toHaveCount(1);
    await expect(editorText(other)).not.toContainText("exported and imported");
    const [chooser] = await Promise.all([
      other.waitForEvent("filechooser"),
      other.getByRole("navigation", { name: "Projects" }).getByRole("button", { name: "Import", exact: true }).click(),
    ]);
    await chooser.setFiles(file);
    const rows = projectsList(other).getByRole("button", { name: "My first project", exact: true });
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(1)).toHaveAttribute("aria-current", "true");
    await expect(editorText(other)).toContainText('print("exported and imported");');
  } finally {
    await fresh.close();
  }
});
