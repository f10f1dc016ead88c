// run: 3000
// An error in a callback aborts the script with file:line:col and the status says why.
print("start");
Timer.set(500, false, function () {
  let o = null;
  print("about to fail");
  o.x = 1;
});
Timer.set(1000, false, function () { print("never"); });
