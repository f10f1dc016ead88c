// run: 3000
// at 0: rpc Mqtt.SetConfig {"config":{"enable":true,"server":"loopback","status_ntf":true,"rpc_ntf":true,"topic_prefix":"home/dev1"}}
// at 1000: rpc Switch.Set {"id":0,"on":true}
// at 2000: input 0 down
// at 2100: input 0 up
// The device publishes status (full, retained), datapoints per field and NotifyStatus /
// NotifyEvent frames; Cloud.store publishes metrics. A wildcard subscription follows them.
// The loopback's deliveries wait for the next poll: a timer keeps the loop polling.
Timer.set(100, true, function () {});
function show(topic, msg) {
  print(topic, msg);
}
MQTT.setConnectHandler(function () {
  MQTT.subscribe("home/dev1/dp/#", show);
  MQTT.subscribe("home/dev1/status/+", show);
  MQTT.subscribe("home/dev1/events/rpc", function (topic, msg) {
    let f = JSON.parse(msg);
    print("rpc frame", f.method, f.src, f.dst, JSON.stringify(f.params));
  });
  MQTT.subscribe("home/dev1/metrics/+", show);
  Cloud.store("temperature", 36.6, {
    labels: {room: "lab"},
    cb: function (ok) { print("stored", ok); },
  });
  Cloud.store("count", 3);
});
try {
  Cloud.store("a/#", 1);
} catch (e) {
  print(e.name, e.message);
}
Cloud.store("before connect", 1, {cb: function (ok) { print("stored before connect:", ok); }});
