// MQTT: the relay follows messages on ferrite/relay/set ("on" / "off") and reports its state on
// ferrite/relay/state. In the simulator the broker is in the tab: publish from its panel.
MQTT.subscribe("ferrite/relay/set", function (topic, message) {
  print("got", message, "on", topic);
  Shelly.call("Switch.Set", {id: 0, on: message === "on"});
});
Shelly.addStatusHandler(function (ev) {
  if (ev.component === "switch:0" && ev.delta.output !== undefined) {
    let state = ev.delta.output ? "on" : "off";
    MQTT.publish("ferrite/relay/state", state, 0, true);
    print("published state", state);
  }
});
print("MQTT connected:", MQTT.isConnected());
