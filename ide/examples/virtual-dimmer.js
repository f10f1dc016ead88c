// Virtual components: a "Brightness" number and a "Mode" enum the user changes in the board
// panel (or over RPC). Above 50 % the relay switches on.
let brightness = null;
function added(res, code, msg) {
  if (code !== 0) print("Virtual.Add failed:", msg);
}
Shelly.call("Virtual.Add", {type: "number", id: 200,
  config: {name: "Brightness", min: 0, max: 100, default_value: 20}}, added);
Shelly.call("Virtual.Add", {type: "enum", id: 200,
  config: {name: "Mode", options: ["auto", "manual"], default_value: "auto"}}, function (res, code, msg) {
  added(res, code, msg);
  brightness = Virtual.getHandle("number:200");
  let mode = Virtual.getHandle("enum:200");
  print("brightness", brightness.getValue(), "mode", mode.getValue());
  brightness.on("change", function (info) {
    print("brightness changed to", info.value);
    Shelly.call("Switch.Set", {id: 0, on: info.value > 50});
  });
  mode.on("change", function (info) { print("mode is now", info.value); });
});
