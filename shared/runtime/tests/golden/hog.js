// run: 2000
// limits: turn_fuel=2000000
// A script that hogs the CPU is aborted; the device keeps serving.
print("start");
Timer.set(100, false, function () {
  let n = 0;
  while (true) { n = n + 1; }
});
