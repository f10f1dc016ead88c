// The with statement: names resolve through the object first (honouring Symbol.unscopables).
var o = { a: 1, f() { return this === o; } };
var a = 'outer', b = 'b-outer';
with (o) { print(a, b, f()); a = 2; b = 'set'; var c = 3; }
print(o.a, b, c, o.c);
function g() { var x = 'local'; with ({ x: 'with' }) { return () => x; } }
print(g()());
with ([1, 2]) { print(typeof values, length, typeof keys); }
// The reference is resolved once: a getter that deletes the property does not redirect the write.
var scope = { get y() { delete this.y; return 2; } };
var y = 0;
with (scope) { y ^= 3; }
print(scope.y, y);
with ({ z: 1 }) { print(delete z, typeof z); }
