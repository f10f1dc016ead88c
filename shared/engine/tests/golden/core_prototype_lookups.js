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
