// Every example of the gallery runs without an error: opened from the Examples dialog, run at
// ×100 for up to ten virtual seconds (so its timers fire), with no error in the console. (×100, not
// Max: at Max virtual time only moves from deadline to deadline, and an example that is done
// has none left.)
// Data-driven over what the dialog lists, so a new example is tested without touching this file.
import { test, expect } from "@playwright/test";
import {
  consoleLog,
  ERROR_LINE,
  LOCATION_LINK,
  openIde,
  run,
  speedButton,
  status,
  stopButton,
  toolbar,
  virtualTimeMs,
  waitForFirstOutput,
  statusText,
} from "../support/ide";

test("every gallery example runs without error", async ({ page }) => {
  test.setTimeout(10 * 60_000);
  await openIde(page);
  await toolbar(page).getByRole("button", { name: "Examples", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Examples" });
  await expect(dialog.getByRole("listitem").first()).toBeVisible();
  const titles = (await dialog.getByRole("listitem").getByRole("heading").allTextContents()).map((t) => t.trim());
  expect(titles.length, "the gallery lists examples").toBeGreaterThan(0);
  test.info().annotations.push({ type: "examples", description: `${titles.length}: ${titles.join(", ")}` });

  for (const title of titles) {
    await test.step(title, async () => {
      if (!(await dialog.isVisible())) await toolbar(page).getByRole("button", { name: "Examples", exact: true }).click();
      await dialog.getByRole("button", { name: `Open ${title}`, exact: true }).click();
      await expect(dialog).toBeHidden();
      await expect(page.getByRole("list", { name: "Projects list" }).getByRole("button", { name: title, exact: true })).toBeVisible();

      await speedButton(page, "×100").click();
      await run(page);
      await waitForFirstOutput(page);
      // Up to ten virtual seconds, so its timers fire. At ×100 that is 0.1 s of wall time; a
      // clock that has not moved for over a second of wall time means the device has nothing
      // scheduled any more (the simulator sleeps until something happens), so waiting longer
      // would show nothing new.
      let last = -1;
      let unchanged = 0;
      await expect
        .poll(async () => {
          const now = await virtualTimeMs(page);
          unchanged = now === last ? unchanged + 1 : 0;
          last = now;
          return now >= 10_000 || unchanged >= 3;
        }, { message: `${title}: ten virtual seconds pass, or the device goes quiet`, intervals: [500] })
        .toBe(true);
      const text = await consoleLog(page).innerText();
      expect.soft(text, `${title}: no error line in the console`).not.toMatch(ERROR_LINE);
      await expect.soft(consoleLog(page).getByRole("link", { name: LOCATION_LINK }), `${title}: no error link`).toHaveCount(0);
      if (statusText("Running").test((await status(page).textContent()) ?? "")) {
        await stopButton(page).click();
        await expect(status(page)).toHaveText(statusText("Stopped"));
      }
    });
  }
});
