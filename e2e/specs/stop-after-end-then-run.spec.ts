// Stop after the script has ended, then Run at once: the new run keeps running (a Stop that
// found nothing running must not make the page replace the simulator under the next run).
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, status, statusText, stopButton } from "../support/ide";

const TICKING = `let n = 0;
Timer.set(200, true, function () {
  n++;
  print("tick", n);
});
`;

test("Stop after the script ended, then Run: the new run keeps running", async ({ page }) => {
  await openIde(page);
  // A script stops when it throws: the device is idle.
  await replaceScript(page, 'print("this run ends at once");\nthrow new Error("the end");\n');
  await run(page);
  await expect(consoleLog(page)).toContainText("this run ends at once");
  await expect(status(page)).toHaveText(/Idle: /);

  await stopButton(page).click();
  await expect(status(page)).toHaveText(statusText("Stopped"));
  await replaceScript(page, TICKING);
  await run(page);
  // 12 ticks of 200 ms: well past the 1.5 s after which an unanswered Stop replaces the worker.
  await expect(consoleLog(page)).toContainText("tick 12");
  await expect(status(page)).toHaveText(statusText("Running"));
});
