// A damaged share link is explained, not silently ignored.
import { test, expect } from "@playwright/test";
import { scriptEditor } from "../support/ide";

test("a broken share link shows why it cannot be opened", async ({ page }) => {
  // v1 prefix, but the data is not a deflated project.
  await page.goto("/#share=v1.dGhpcyBpcyBub3QgZGVmbGF0ZQ");
  await expect(page.getByRole("alert").filter({ hasText: "This share link cannot be opened:" })).toBeVisible();
  // The IDE itself still works.
  await expect(scriptEditor(page)).toBeEditable();
});
