// A syntax error is marked in the editor and listed in Problems while typing (no Run needed).
import { test, expect } from "@playwright/test";
import { editorRegion, openIde, problems, replaceScript } from "../support/ide";

test("a syntax error shows a marker and a Problems entry", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'print("fine");\nvar broken = ;\n');
  // Monaco draws markers itself: `.squiggly-error` is the one CSS class the contract allows.
  await expect(editorRegion(page).locator(".squiggly-error").first()).toBeVisible();
  await expect(problems(page).getByRole("listitem")).toHaveCount(1);
  await expect(problems(page).getByRole("listitem")).toContainText(/main\.js:2:\d+: \S/);

  // Fixing it clears both.
  await replaceScript(page, 'print("fine");\nvar fixed = 1;\n');
  await expect(problems(page).getByRole("listitem")).toHaveCount(0);
  await expect(editorRegion(page).locator(".squiggly-error")).toHaveCount(0);
});
