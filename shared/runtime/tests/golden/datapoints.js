// run: 2000
// at 500: rpc Datapoint.Get {"path":"switch:0/output"}
// at 600: rpc Datapoint.Set {"path":"switch:0/output","value":true}
// at 700: rpc Datapoint.Get {"path":"switch:0/output"}
// at 800: rpc Datapoint.Set {"path":"switch:0/apower","value":5}
// at 900: rpc Datapoint.Set {"path":"nope/x","value":5}
// at 1000: rpc Datapoint.List {"prefix":"switch:0/a"}
// IAP-style datapoints over RPC: read, write through the component's method, read-only fields.
Shelly.addStatusHandler(function (ev) {
  if (ev.component === "switch:0") print("switch:0 output ->", ev.delta.output);
});
