// Overload guard: the relay is switched on at start; every second the script reads the power
// meter and switches the relay off above 1000 W.
const LIMIT_W = 1000;
let last = -1;
Shelly.call("Switch.Set", {id: 0, on: true}, function () {
  print("relay on, guarding at", LIMIT_W, "W");
});
Timer.set(1000, true, function () {
  let st = Shelly.getComponentStatus("switch", 0);
  if (st.apower !== last) {
    last = st.apower;
    print("power", st.apower, "W,", st.current, "A, energy", st.aenergy.total, "Wh");
  }
  if (st.output && st.apower > LIMIT_W) {
    print("overload:", st.apower, "W > ", LIMIT_W, "W, switching off");
    Shelly.call("Switch.Set", {id: 0, on: false});
  }
});
