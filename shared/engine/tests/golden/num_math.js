// Math functions and edge cases.
print(Math.max(), Math.min(), Math.max(1, NaN, 3), 1 / Math.max(-0, 0), 1 / Math.min(0, -0));
print(Math.round(2.5), Math.round(-2.5), 1 / Math.round(-0.4), Math.round(0.49999999999999994), Math.round(4503599627370497));
print(Math.hypot(3, 4), Math.hypot(), Math.hypot(NaN, Infinity), Math.hypot(1e200, 1e200));
print(Math.clz32(1), Math.clz32(0), Math.imul(0xffffffff, 5), Math.fround(5.5), Math.fround(0.1));
print(Math.sign(-3), Math.cbrt(27), Math.trunc(-4.7), Math.ceil(-0.5), Math.floor(-0.5), Math.abs(-2));
print(Math.pow(2, 10), Math.pow(1, Infinity), Math.pow(NaN, 0), Math.sqrt(-1), Math.log2(8), Math.log10(1000));
print(Math.atan2(1, 1) === Math.PI / 4, Math.expm1(0), Math.log1p(0), Math.sinh(0), Math.tanh(Infinity));
print(Math.PI, Math.E, Math.SQRT2, Math[Symbol.toStringTag], Object.prototype.toString.call(Math));
var ok = true, prev = -1, same = 0;
for (var i = 0; i < 1000; i++) { var r = Math.random(); if (!(r >= 0 && r < 1)) ok = false; if (r === prev) same++; prev = r; }
print(ok, same, Math.max.length, Math.hypot.length, Math.random.length, Math.round.name);
var calls = [];
try { Math.max({ valueOf() { calls.push(1); return 1; } }, { valueOf() { throw new Error("boom"); } }); } catch (e) { print(e.message, calls.length); }
