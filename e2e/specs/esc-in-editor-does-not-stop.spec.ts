// Esc that closes Monaco's suggest widget does not stop the device; an Esc nothing else uses
// still does.
import { test, expect } from "@playwright/test";
import { consoleLog, editorRegion, openIde, replaceScript, run, scriptEditor, status, statusText } from "../support/ide";

const TICKING = `let n = 0;
Timer.set(200, true, function () {
  n++;
  print("tick", n);
});
`;

test("Esc closing the editor's suggest widget keeps the device running", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, TICKING);
  await run(page);
  await expect(consoleLog(page)).toContainText("tick 1");

  await editorRegion(page).click();
  await expect(scriptEditor(page)).toBeFocused();
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Control+Space");
  const suggest = editorRegion(page).getByRole("listbox");
  await expect(suggest).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(suggest).toBeHidden();
  await expect(status(page)).toHaveText(statusText("Running"));
  const shown = (await consoleLog(page).innerText()).match(/tick (\d+)/g) ?? [];
  const last = Number(shown[shown.length - 1]?.split(" ")[1] ?? 0);
  await expect(consoleLog(page)).toContainText(`tick ${last + 2}`);

  // Nothing open in the editor: Esc stops.
  await page.keyboard.press("Escape");
  await expect(status(page)).toHaveText(statusText("Stopped"));
});
