// run: 5000
// Timers: one-shot, repeating, clear, the limit of 5, userdata.
let n = 0;
let rep = Timer.set(1000, true, function (ud) {
  n++;
  print("tick", n, ud);
  if (n === 3) print("cleared:", Timer.clear(rep), Timer.clear(rep));
}, "ud");
Timer.set(1500, false, function () { print("one-shot at 1500"); });
print("invalid clear:", Timer.clear("x"));
let hs = [];
try {
  for (let i = 0; i < 10; i++) hs.push(Timer.set(100000, false, function () {}));
} catch (e) {
  print(e.name + ": " + e.message, hs.length);
}
for (let h of hs) Timer.clear(h);
setTimeout(function () { print("setTimeout at 2500"); }, 2500);
