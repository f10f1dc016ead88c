// run: 4000
// at 1000: rpc Number.Set {"id":200,"value":7}
// at 1000: rpc Number.Set {"id":200,"value":700}
// at 1000: rpc Number.GetStatus {"id":200}
// at 1500: rpc Button.Trigger {"id":200,"event":"double_push"}
// at 1500: rpc Button.Trigger {"id":200,"event":"bounce"}
// at 2000: rpc Enum.SetConfig {"id":200,"config":{"options":["a","b","c"],"name":"mode"}}
// at 2000: rpc Enum.Set {"id":200,"value":"c"}
// at 2000: rpc Group.Set {"id":200,"value":["number:200","switch:0"]}
// at 2000: rpc Group.Set {"id":200,"value":["number:999"]}
// at 2500: rpc Virtual.Delete {"key":"text:200"}
// at 2500: rpc Text.GetStatus {"id":200}
// Virtual components: Virtual.Add via Shelly.call, handles, async setValue, change and button events.
let n = null, t = null, b = null, btn = null, en = null;
Shelly.addStatusHandler(function (ev) {
  if (ev.name === "number" || ev.name === "enum" || ev.name === "group") {
    print("status", ev.component, JSON.stringify(ev.delta.value), ev.delta.source);
  }
});
Shelly.addEventHandler(function (ev) {
  if (ev.name === "button") print("event", ev.component, ev.info.event);
});
function added(what) {
  return function (res, code, msg) {
    print("added", what, code === 0 ? JSON.stringify(res) : code + " " + msg);
  };
}
Shelly.call("Virtual.Add", {type: "number", config: {name: "level", min: 0, max: 10, default_value: 3}}, added("number"));
Shelly.call("Virtual.Add", {type: "text", id: 200}, added("text"));
Shelly.call("Virtual.Add", {type: "boolean", id: 299, config: {persisted: true}}, added("boolean"));
Shelly.call("Virtual.Add", {type: "button"}, added("button"));
Shelly.call("Virtual.Add", {type: "enum", config: {options: ["a", "b"]}}, function (res, code, msg) {
  added("enum")(res, code, msg);
  Shelly.call("Virtual.Add", {type: "group"}, added("group"));
  Shelly.call("Virtual.Add", {type: "number", id: 150}, added("bad id"));
  Shelly.call("Virtual.Add", {type: "dial"}, added("bad type"));
  Shelly.call("Virtual.Add", {type: "number", config: {min: 5, max: 1}}, added("bad config"));
  setup();
});
function setup() {
  print("no such handle", Virtual.getHandle("number:201"), Virtual.getHandle("nonsense"));
  n = Virtual.getHandle("number:200");
  t = Virtual.getHandle("text:200");
  b = Virtual.getHandle("boolean:299");
  btn = Virtual.getHandle("button:200");
  en = Virtual.getHandle("enum:200");
  print("instanceof", n instanceof Virtual, "config", JSON.stringify(n.getConfig()));
  print("initial", n.getValue(), JSON.stringify(t.getValue()), b.getValue(), en.getValue(), btn.getValue());
  n.on("change", function (info) {
    print("number changed to", info.value, "by", info.source, "this ok", this === n);
  });
  t.on("change", function (info) { print("text changed to", info.value); });
  btn.on("double_push", function (info) { print("button double_push from", info.source); });
  let h = en.on("change", function () { print("never"); });
  print("off", en.off(h), en.off(h));
  n.setValue(5);
  t.setValue("hello");
  print("still old until the turn ends:", n.getValue(), "status", JSON.stringify(Shelly.getComponentStatus("number:200").value));
  try { n.setValue(11); } catch (e) { print(e.name, e.message); }
  try { n.setValue("five"); } catch (e) { print(e.name, e.message); }
  try { btn.setValue(1); } catch (e) { print(e.name, e.message); }
  try { btn.on("change", function () {}); } catch (e) { print(e.name, e.message); }
  try { new Virtual(); } catch (e) { print(e.name, e.message); }
  print("setConfig", JSON.stringify(n.setConfig({max: 20})), "max now", n.getConfig().max);
  try { n.setConfig({max: "x"}); } catch (e) { print(e.name, e.message); }
  Timer.set(10, false, function () {
    print("after the turn:", n.getValue(), t.getValue(), JSON.stringify(n.getStatus()));
  });
}
Timer.set(3000, false, function () {
  Shelly.call("Shelly.GetComponents", {}, function (res) {
    let keys = [];
    for (let c of res.components) {
      if (c.key.indexOf(":2") > 0) keys.push(c.key + "=" + JSON.stringify(c.status.value));
    }
    print("components", keys.join(" "));
  });
  Shelly.call("Shelly.GetConfig", {}, function (res) {
    print("config of number:200", JSON.stringify(res["number:200"]));
  });
});
Timer.set(3500, false, function () {
  print("deleted text handle", t.getValue(), t.getStatus(), t.setConfig({name: "x"}));
  print("group", JSON.stringify(Shelly.getComponentStatus("group", 200).value), "enum", en.getValue());
});
