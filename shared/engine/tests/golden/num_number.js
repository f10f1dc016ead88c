// Number: formatting, parsing, predicates.
print((1.005).toFixed(2), (1e21).toFixed(2), (0.5).toFixed(0), (2.5).toFixed(0), (-1.5).toFixed(0));
print((0.000001).toFixed(7), (123.456).toFixed(10), (-0.0000001).toFixed(2), (0).toFixed(2), (1.45).toFixed(1));
print((1000000000000000128).toFixed(0), (0.1).toFixed(20), (-1e-10).toFixed(3));
print((255).toString(16), (0.5).toString(2), (-255.5).toString(16), (25).toString(36), (2 ** 60).toString(2));
print((123.456).toExponential(2), (0).toExponential(), (123456).toExponential(), (1.5e-7).toExponential(3));
print((-1).toExponential(0), (9.99).toExponential(1), (5e-324).toExponential(), (1.25).toExponential(1));
print((123.456).toPrecision(4), (0.00001234).toPrecision(2), (1e21).toPrecision(3), (123456).toPrecision(2));
print((0).toPrecision(3), (0.000001).toPrecision(1), (99.99).toPrecision(3), (123.456).toPrecision());
print(parseInt("12px"), parseInt("  0x1F"), 1 / parseInt("-0"), parseInt("z", 36), parseInt("11", 2), parseInt("", 10));
print(parseInt("9007199254740993"), parseInt("0x10", 16), parseInt("10", 37), parseInt("10", 1), parseInt("-12.9"));
print(parseFloat("3.14abc"), parseFloat(".5"), parseFloat("1."), parseFloat("-Infinityx"), parseFloat("1e5x"));
print(parseFloat("1e"), parseFloat("e5"), parseFloat("  -.5e-3"), parseFloat("0x10"), parseFloat(""));
print(Number.parseInt === parseInt, Number.parseFloat === parseFloat, Number("0x10"), Number(), Number(undefined));
print(new Number(5) + 1, typeof new Number(5), Number.isInteger(5.0), Number.isInteger("5"), Number.isSafeInteger(2 ** 53));
print(Number.isNaN(NaN), Number.isNaN("NaN"), Number.isFinite(1e308), Number.isFinite("1"));
print(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.EPSILON === 2 ** -52, Number.MIN_VALUE, Number.MAX_VALUE);
print(Number.prototype.toFixed.length, Number.prototype.toString.length, Number.length, parseInt.length);
for (const bad of [() => (1).toFixed(101), () => (1).toString(1), () => (1).toPrecision(0), () => (1).toExponential(-1)]) {
  try { bad(); } catch (e) { print(e.name); }
}
try { Number.prototype.valueOf.call("x"); } catch (e) { print(e.name); }
print((NaN).toFixed(2), (Infinity).toExponential(200), (-Infinity).toPrecision(200));
