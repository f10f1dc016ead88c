// The MQTT panel publishes to the in-tab broker: a script that subscribes gets the message, and
// what the script publishes shows in the traffic log.
import { test, expect } from "@playwright/test";
import { consoleLog, networkTraffic, openIde, replaceScript, run } from "../support/ide";

const SCRIPT = `MQTT.subscribe("e2e/in", function (topic, message) {
  print("got", message);
  MQTT.publish("e2e/out", "echo " + message);
});
print("subscribed");
`;

test("a message published from the panel reaches the script, its answer shows in the traffic log", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, SCRIPT);
  await run(page);
  await expect(consoleLog(page)).toContainText("subscribed");

  const mqtt = page.getByRole("form", { name: "MQTT" });
  await mqtt.getByRole("textbox", { name: "Topic" }).fill("e2e/in");
  await mqtt.getByRole("textbox", { name: "Payload" }).fill("hello");
  await mqtt.getByRole("button", { name: "Publish" }).click();

  await expect(consoleLog(page)).toContainText("got hello");
  await expect(networkTraffic(page)).toContainText("MQTT ← e2e/in hello");
  await expect(networkTraffic(page)).toContainText("MQTT → e2e/out echo hello");
});
