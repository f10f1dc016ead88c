// The theme button switches between dark and light (its text names the theme it switches to),
// and an explicit choice is remembered: after a reload the page keeps it even where it differs
// from the system's preference.
import { test, expect, type Locator } from "@playwright/test";
import { openIde, themeButton, toolbar } from "../support/ide";

// The system prefers dark, so a page that forgot the choice would come back dark.
test.use({ colorScheme: "dark" });

/// The toolbar's background colour as drawn: the theme really changed, not only the text.
function background(bar: Locator): Promise<string> {
  return bar.evaluate((el) => getComputedStyle(el).backgroundColor);
}

test("the theme button switches the theme and the choice survives a reload", async ({ page }) => {
  await openIde(page);
  await expect(themeButton(page)).toHaveText("Light theme");
  const dark = await background(toolbar(page));

  await themeButton(page).click();
  await expect(themeButton(page)).toHaveText("Dark theme");
  const light = await background(toolbar(page));
  expect(light).not.toBe(dark);

  await page.reload();
  await expect(themeButton(page)).toHaveText("Dark theme");
  expect(await background(toolbar(page))).toBe(light);

  // And back: dark again, also after a reload.
  await themeButton(page).click();
  await expect(themeButton(page)).toHaveText("Light theme");
  expect(await background(toolbar(page))).toBe(dark);
  await page.reload();
  await expect(themeButton(page)).toHaveText("Light theme");
  expect(await background(toolbar(page))).toBe(dark);
});
