// run: 1000
// Review: a huge finite period (1e300 ms saturates to u64::MAX) must not overflow the due time
// (armed after 0 ms, so that now + period overflows).
Timer.set(100, false, function () {
  let a = Timer.set(1e300, false, function () { print("never (one-shot)"); });
  let b = Timer.set(1e300, true, function () { print("never (repeating)"); });
  let c = setTimeout(function () { print("never (setTimeout)"); }, 1e300);
  print("armed", a > 0, b > 0, c > 0);
});
Timer.set(500, false, function () { print("a short timer still fires"); });
