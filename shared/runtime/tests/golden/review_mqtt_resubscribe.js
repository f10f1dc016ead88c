// run: 3000
// at 0: rpc Mqtt.SetConfig {"config":{"enable":true,"server":"loopback"}}
// Review: subscribing a filter again while messages for the old callback are queued must not
// leave those jobs calling the released (and possibly reused) pin of the old callback: the
// messages queued for the replaced callback are dropped (as for a replaced HTTP endpoint).
Timer.set(100, true, function () {});
function second(topic, msg, ud) {
  print("second:", topic, msg, ud);
}
let pinned = false;
MQTT.setConnectHandler(function () {
  MQTT.subscribe("a/b", function (topic, msg, ud) {
    print("first:", topic, msg, ud);
    MQTT.subscribe("a/b", second, "ud2");
    // Pin something new: it may take the slot the old callback had.
    if (!pinned) Timer.set(5000, false, function () { print("timer that must not run now"); });
    pinned = true;
  }, "ud1");
  // The loopback delivers them in one poll: more jobs for the first callback than one poll
  // runs (16 slices), so some are still queued when the loop releases the old pins.
  for (let i = 0; i < 20; i++) MQTT.publish("a/b", "m" + i);
});
Timer.set(2000, false, function () { print("still running"); });
