// run: 4000
// at 0: rpc Mqtt.SetConfig {"config":{"enable":true,"server":"loopback"}}
// at 1000: mqtt ext/cmd hello from outside
// at 1500: mqtt nobody/listens here
// at 2000: rpc Mqtt.SetConfig {"config":{"enable":false}}
// at 3000: rpc Mqtt.SetConfig {"config":{"enable":true}}
// MQTT.*: subscribe/unsubscribe/publish, handlers, limits and errors (loopback broker).
// The loopback's deliveries wait for the next poll: a timer keeps the loop polling.
Timer.set(100, true, function () {});
function tryIt(what, f) {
  try {
    print(what, "->", f());
  } catch (e) {
    print(what, "threw", e.name + ":", e.message);
  }
}
tryIt("subscribe while disabled", function () { return MQTT.subscribe("a/b", function () {}); });
print("connected at start:", MQTT.isConnected());
print("publish while disabled:", MQTT.publish("x/y", "z"));
tryIt("handler not a function", function () { return MQTT.setConnectHandler(42); });

let connects = 0;
MQTT.setConnectHandler(function (ud) {
  print("not this one", ud);
}, "old");
MQTT.setConnectHandler(function (ud) {
  connects++;
  print("connected", ud, MQTT.isConnected(), "#" + connects);
  if (connects > 1) return;
  tryIt("bad filter", function () { return MQTT.subscribe("a/#/b", function () {}); });
  tryIt("no callback", function () { return MQTT.subscribe("a/b"); });
  tryIt("topic not a string", function () { return MQTT.subscribe(7, function () {}); });
  MQTT.subscribe("dev/+/temp", function (topic, msg, ud) {
    print("first callback (replaced, never called)", topic, msg, ud);
  }, "one");
  MQTT.subscribe("dev/+/temp", function (topic, msg, ud) {
    print("temp:", topic, msg, ud);
  }, "two");
  MQTT.subscribe("dev/#", function (topic, msg, ud) {
    print("dev/#:", topic, msg, ud);
  });
  MQTT.subscribe("ext/#", function (topic, msg) {
    print("ext:", topic, msg);
  });
  print("publish temp:", MQTT.publish("dev/k/temp", "21.5", 1, true));
  print("publish hum:", MQTT.publish("dev/k/hum", "40"));
  tryIt("publish wildcard topic", function () { return MQTT.publish("dev/+", "x"); });
  tryIt("publish qos 3", function () { return MQTT.publish("dev/q", "x", 3); });
  tryIt("publish number message", function () { return MQTT.publish("dev/q", 5); });
  let n = 3;
  for (let i = 0; i < 7; i++) {
    MQTT.subscribe("fill/" + i, function () {});
    n++;
  }
  print("subscriptions:", n);
  tryIt("11th subscription", function () { return MQTT.subscribe("one/too/many", function () {}); });
  tryIt("same filter again at the limit", function () {
    return MQTT.subscribe("fill/0", function (t, m) { print("fill/0 got", m); });
  });
  print("unsubscribe fill/1:", MQTT.unsubscribe("fill/1"), "again:", MQTT.unsubscribe("fill/1"));
  tryIt("unsubscribe non-string", function () { return MQTT.unsubscribe(null); });
  MQTT.subscribe("one/more", function () {});
  print("publish fill/0:", MQTT.publish("fill/0", "zero"));
  print("publish fill/1 (unsubscribed):", MQTT.publish("fill/1", "one"));
}, "ud-c");
MQTT.setDisconnectHandler(function (ud) {
  print("disconnected", ud, MQTT.isConnected());
  print("publish while disconnected:", MQTT.publish("dev/k/temp", "lost"));
}, "ud-d");
