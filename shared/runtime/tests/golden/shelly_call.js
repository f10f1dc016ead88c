// run: 3000
// at 1000: rpc Switch.Toggle {"id":0}
// Shelly.call to the device's own methods, handlers, emitEvent, component status.
Shelly.addStatusHandler(function (ev, ud) {
  print("status", ev.component, JSON.stringify(ev.delta), ud);
}, "sud");
let eh = Shelly.addEventHandler(function (ev) {
  print("event", ev.component, ev.info.event, JSON.stringify(ev.info.data));
});
Shelly.call("Switch.Set", {id: 0, on: true}, function (res, code, msg, ud) {
  print("Switch.Set:", JSON.stringify(res), code, JSON.stringify(msg), ud);
  print("output now", Shelly.getComponentStatus("switch", 0).output);
}, "ud1");
Shelly.call("No.Such", {}, function (res, code, msg) {
  print("No.Such:", res, code, msg);
});
Shelly.call("Switch.Set", {id: "zero"}, function (res, code, msg) {
  print("bad params:", code, msg);
});
Shelly.emitEvent("this_happened", {what: "when", why: 42});
print("id", Shelly.getCurrentScriptId(), "gen", Shelly.getDeviceInfo().gen);
print("config", JSON.stringify(Shelly.getComponentConfig("switch:0").in_mode));
print("missing", Shelly.getComponentStatus("foo", 3));
Timer.set(2000, false, function () {
  print("remove:", Shelly.removeEventHandler(eh), Shelly.removeEventHandler(eh), Shelly.removeEventHandler("x"));
  Shelly.emitEvent("not_seen", 1);
  Shelly.call("Script.Stop", {id: Shelly.getCurrentScriptId()}, function (r) { print("never printed", r); });
});
Timer.set(2500, false, function () { print("stopped itself, so never printed"); });
