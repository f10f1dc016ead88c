// The button of input:0 drives the relay of switch:0:
// single push toggles it, double push switches it on for 5 seconds, long push switches it off.
Shelly.addEventHandler(function (ev) {
  if (ev.component !== "input:0") return;
  let what = ev.info.event;
  if (what === "single_push") {
    Shelly.call("Switch.Toggle", {id: 0});
  } else if (what === "double_push") {
    Shelly.call("Switch.Set", {id: 0, on: true, toggle_after: 5});
  } else if (what === "long_push") {
    Shelly.call("Switch.Set", {id: 0, on: false});
  } else {
    return;
  }
  print("button:", what);
});
Shelly.addStatusHandler(function (ev) {
  if (ev.component === "switch:0" && ev.delta.output !== undefined) {
    print("relay is", ev.delta.output ? "ON" : "OFF");
  }
});
print("Press the button of input:0 (single, double, long)");
