// An HTTP mock edited in the Network panel answers the script's HTTP.GET (and the request shows
// in the traffic log). Tab from a mock field moves on to the next one (the row is not rebuilt).
import { test, expect } from "@playwright/test";
import { consoleLog, networkTraffic, openIde, replaceScript, run } from "../support/ide";

const SCRIPT = `Shelly.call("HTTP.GET", {url: "http://mock.test/api/now"}, function (res, code, msg) {
  if (code !== 0) { print("request failed:", msg); return; }
  print("status", res.code, "body", res.body);
});
`;

test("an edited HTTP mock answers the script's HTTP.GET", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, SCRIPT);

  const mocks = page.getByRole("list", { name: "HTTP mocks" });
  await page.getByRole("button", { name: "Add mock" }).click();
  const url = mocks.getByRole("textbox", { name: "Mock URL" });
  await url.fill("http://mock.test/api");
  await url.press("Tab");
  await expect(mocks.getByRole("spinbutton", { name: "Mock status" })).toBeFocused();
  await mocks.getByRole("textbox", { name: "Mock body" }).fill('{"answer":"from the mock"}');
  await mocks.getByRole("textbox", { name: "Mock body" }).blur();

  await run(page);
  await expect(consoleLog(page)).toContainText('status 200 body {"answer":"from the mock"}');
  await expect(networkTraffic(page)).toContainText("HTTP GET http://mock.test/api/now → 200");
});
