// run: 3000
// at 1000: rpc KVS.Get {"key":"color"}
// at 1000: rpc KVS.List {"match":"c*"}
// at 1000: rpc KVS.Set {"key":"n","value":{"deep":[1,2]}}
// at 2000: rpc KVS.GetMany {"match":"*","offset":1}
// at 2000: rpc KVS.Delete {"key":"color"}
// at 2000: rpc KVS.Delete {"key":"color"}
// KVS through Shelly.call: set/get/list/getMany/delete, etags, limits, errors.
function show(what) {
  return function (res, code, msg) {
    print(what, code === 0 ? JSON.stringify(res) : "error " + code + ": " + msg);
  };
}
let tag = null;
Shelly.call("KVS.Set", {key: "color", value: "red"}, function (res, code) {
  tag = res.etag;
  print("set color rev", res.rev, "etag is a string", typeof res.etag === "string" && res.etag.length > 0);
  Shelly.call("KVS.Set", {key: "color", value: "blue", etag: "wrong"}, show("stale etag:"));
  Shelly.call("KVS.Set", {key: "color", value: "green", etag: tag}, function (r2, c2) {
    print("conditional set", c2, r2.rev, r2.etag !== tag);
    Shelly.call("KVS.Get", {key: "color"}, function (r3) {
      print("get color", r3.value, r3.etag === r2.etag);
    });
  });
});
Shelly.call("KVS.Set", {key: "count", value: 42}, show("set count:"));
Shelly.call("KVS.Get", {key: "nothing"}, show("get missing:"));
Shelly.call("KVS.Set", {key: "0123456789012345678901234567890123456789abc", value: 1}, show("long key:"));
let big = "";
for (let i = 0; i < 254; i++) big += "x";
Shelly.call("KVS.Set", {key: "big", value: big}, show("long value:"));
Timer.set(500, false, function () {
  Shelly.call("KVS.List", {}, function (r) {
    print("list", JSON.stringify(Object.keys(r.keys)), "rev", r.rev);
  });
  Shelly.call("KVS.GetMany", {match: "co*"}, function (r) {
    let out = [];
    for (let it of r.items) out.push(it.key + "=" + JSON.stringify(it.value));
    print("getMany", out.join(" "), "total", r.total, "offset", r.offset);
  });
  Shelly.call("KVS.Delete", {key: "count", etag: "nope"}, show("delete stale:"));
  Shelly.call("KVS.Set", {key: "t", value: "v"}, show("4th call:"));
  Shelly.call("KVS.Set", {key: "u", value: "v"}, show("5th call:"));
  try {
    Shelly.call("KVS.Set", {key: "w", value: "v"});
  } catch (e) {
    print(e.name, e.message);
  }
});
// Fill the store to its limit of 50 keys.
Timer.set(2500, false, function () {
  let i = 0;
  function next(res, code, msg) {
    if (code !== 0) {
      print("store full after", i - 1, "more keys:", code, msg);
      return;
    }
    i++;
    Shelly.call("KVS.Set", {key: "k" + i, value: i}, next);
  }
  next(null, 0, "");
});
