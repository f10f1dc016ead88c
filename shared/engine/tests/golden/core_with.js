// The with statement: names resolve through the object first (honouring Symbol.unscopables).
var o = { a: 1, f() { return this === o; } };
var a = 'outer', b = 'b-outer';
with (o) { print(a, b, f()); a = 2; b = 'set'; var c = 3; }
print(o.a, b, c, o.c);
function g() { var x = 'local'; with ({ x: 'with' }) { return () => x; } }
print(g()());
with ([1, 2]) { print(typeof values, length, typeof keys); }
