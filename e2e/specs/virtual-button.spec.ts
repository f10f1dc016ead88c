// The virtual board's input:0 button reaches the script's event handler.
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, status, virtualBoard, statusText } from "../support/ide";

const SCRIPT = `Shelly.addEventHandler(function (ev) {
  if (ev.component === "input:0") print("input:0 event", ev.info.event);
});
print("waiting for the button");
`;

test("a single push of input:0 reaches the script", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, SCRIPT);
  await run(page);
  await expect(consoleLog(page)).toContainText("waiting for the button");
  await expect(status(page)).toHaveText(statusText("Running"));
  await expect(consoleLog(page)).not.toContainText("input:0 event");

  const input0 = virtualBoard(page).getByRole("group", { name: "input:0" });
  await input0.getByRole("button", { name: "Single push" }).click();
  await expect(consoleLog(page)).toContainText("input:0 event single_push");
});
