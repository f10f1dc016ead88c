// The MQTT panel's "Subscribe" topic filter (`+`/`#` wildcards) picks the traffic log's MQTT
// lines; publishing to a topic with a wildcard is refused with a reason.
import { test, expect } from "@playwright/test";
import { consoleLog, networkTraffic, openIde, replaceScript, run } from "../support/ide";

const SCRIPT = `MQTT.publish("home/kitchen/temp", "21");
MQTT.publish("home/hall/temp", "19");
MQTT.publish("office/temp", "23");
Timer.set(1000, true, function () {});
print("published");
`;

test("the Subscribe filter picks MQTT lines; wildcard topics cannot be published to", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, SCRIPT);
  await run(page);
  await expect(consoleLog(page)).toContainText("published");

  const traffic = networkTraffic(page);
  const subscribe = page.getByRole("textbox", { name: "Subscribe" });
  await expect(subscribe).toHaveValue("#");
  await expect(traffic).toContainText("MQTT → office/temp 23");

  await subscribe.fill("home/+/temp");
  await expect(traffic).toContainText("MQTT → home/kitchen/temp 21");
  await expect(traffic).toContainText("MQTT → home/hall/temp 19");
  await expect(traffic).not.toContainText("office/temp");

  await subscribe.fill("office/#");
  await expect(traffic).toContainText("MQTT → office/temp 23");
  await expect(traffic).not.toContainText("home/");

  const mqtt = page.getByRole("form", { name: "MQTT" });
  await mqtt.getByRole("textbox", { name: "Topic" }).fill("home/#");
  await mqtt.getByRole("button", { name: "Publish" }).click();
  await expect(mqtt.getByRole("alert")).toContainText("cannot contain the wildcards");
  await subscribe.fill("#");
  await expect(traffic).not.toContainText("MQTT ← home/#");
});
