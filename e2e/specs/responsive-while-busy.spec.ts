// A script that keeps the simulated CPU busy (a long loop every 10 ms, forever) runs in the
// worker: the page stays responsive, and Stop ends it.
import { test, expect } from "@playwright/test";
import { consoleInput, openIde, replaceScript, run, speedButton, status, stopButton, statusText } from "../support/ide";

const BUSY = `print("busy from now on");
Timer.set(10, true, function () { var i = 0; while (i < 3000000) i++; });
`;

test("the UI stays responsive while a script hogs the simulator, and Stop ends it", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, BUSY);
  await run(page);
  await expect(status(page)).toHaveText(statusText("Running"));

  // Typing in the console input and switching speed work while it runs.
  await consoleInput(page).click();
  await consoleInput(page).pressSequentially("1 + 1");
  await expect(consoleInput(page)).toHaveValue("1 + 1");
  await speedButton(page, "×10").click();
  await expect(speedButton(page, "×10")).toHaveAttribute("aria-pressed", "true");
  await expect(speedButton(page, "×1")).toHaveAttribute("aria-pressed", "false");
  await expect(status(page)).toHaveText(statusText("Running"));

  await stopButton(page).click();
  await expect(status(page)).toHaveText(statusText("Stopped"));
});
