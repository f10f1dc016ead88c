// A counter in the key-value store (KVS): it survives script restarts. Each button push of
// input:0 adds one.
const KEY = "pushes";
let count = 0;
function save() {
  Shelly.call("KVS.Set", {key: KEY, value: count}, function (res, code, msg) {
    print(code === 0 ? "saved " + count + " (rev " + res.rev + ")" : "save failed: " + msg);
  });
}
Shelly.call("KVS.Get", {key: KEY}, function (res, code) {
  count = code === 0 ? res.value : 0;
  print("count from KVS:", count, code === 0 ? "" : "(new)");
  save();
});
Shelly.addEventHandler(function (ev) {
  if (ev.component === "input:0" && ev.info.event === "single_push") {
    count++;
    save();
  }
});
