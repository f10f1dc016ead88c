// Methods found on prototypes through a property read's cache (ordinary objects' prototype
// chains, strings' String.prototype), and on built-in objects whose index is sorted once the
// realm is set up: changes to those objects must be seen at once.
var s = "abc", seen = [];
for (var i = 0; i < 4; i++) {
  seen.push(typeof s.charAt === "function" ? s.charAt(1) : "gone");
  if (i === 0) String.prototype.charAt = function () { return "replaced"; };
  if (i === 1) delete String.prototype.charAt;
  if (i === 2) String.prototype.charAt = function () { return "again"; };
}
print(seen);
// An index is the string's own, whatever String.prototype has.
String.prototype[0] = "proto";
String.prototype.x = "from proto";
print("abc"["0"], "abc"[0], "abc".x, "abc"["1"]);
delete String.prototype[0];
// Ordinary objects: an own property shadows the prototype's, and a deleted one goes.
var proto = { m: function () { return "proto m"; }, n: 1 };
var o = Object.create(proto), got = [];
for (var j = 0; j < 4; j++) {
  got.push(o.m());
  if (j === 0) o.m = function () { return "own m"; };
  if (j === 1) delete o.m;
  if (j === 2) proto.m = function () { return "new proto m"; };
}
print(got);
// A built-in prototype growing and shrinking after set-up (sorted index → hash index).
for (var k = 0; k < 20; k++) Array.prototype["extra" + k] = k;
print([].extra0, [].extra19, [1, 2].map(function (v) { return v * 2; }), [].push === Array.prototype.push);
for (var k = 0; k < 20; k += 2) delete Array.prototype["extra" + k];
print([].extra0, [].extra1, [].extra19, typeof [].slice, Object.keys(Array.prototype).length);
delete Math.max;
print(typeof Math.max, Math.min(3, 1), Math.PI > 3, "max" in Math, "min" in Math);
// Getters on prototypes read through the cache: `this` is the receiver (a primitive string
// in strict code, a String object in sloppy code).
Object.defineProperty(String.prototype, "kind", { get: function () { return typeof this; }, configurable: true });
Object.defineProperty(String.prototype, "strictKind", { get: function () { "use strict"; return typeof this; }, configurable: true });
var kinds = [];
for (var g = 0; g < 3; g++) kinds.push("x".kind, "x".strictKind);
print(kinds);
var base = { get twice() { return this.v * 2; } };
var objs = [Object.create(base), Object.create(base)];
objs[0].v = 1; objs[1].v = 5;
var twice = [];
for (var t = 0; t < 4; t++) twice.push(objs[t % 2].twice);
print(twice);
// One read, alternately on a string and on objects with the same key in other places.
function foo(x) { return x.foo; }
String.prototype.foo = "string foo";
var withProto = Object.create({ a: 1, b: 2, foo: "proto foo" });
var own = { z: 0, foo: "own foo" };
var foos = [];
for (var f = 0; f < 6; f++) foos.push(foo([ "s", withProto, own ][f % 3]));
print(foos);
// The global object's table (sorted once the realm is set up) takes a script's globals.
for (var gi = 0; gi < 40; gi++) globalThis["g" + gi] = gi;
print(g0, g39, typeof print, typeof Math, Object.keys(globalThis).indexOf("g39") > 0);
