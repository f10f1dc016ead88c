// Iterator prototypes and string iteration by UTF-8 character.
var str = "h\u00e9llo\u20ac";
print([...str].length, [...str].join("|"));
var it = [1, 2][Symbol.iterator]();
print(Object.getPrototypeOf(Object.getPrototypeOf(it))[Symbol.iterator].call(5));
print(it.next().value, it.next().value, it.next().done, it.next().done);
print(Object.prototype.toString.call(it), Object.prototype.toString.call([].keys()));
var e = ["a"].entries().next().value;
print(Array.isArray(e), e[0], e[1]);
var al = { length: 2, 0: "x", 1: "y" };
print([...Array.prototype.values.call(al)]);
function args() { return [...arguments]; }
print(args(1, 2, 3));
try { [].keys().next.call({}); } catch (err) { print(err.name); }
var grow = [1];
var n = 0;
for (var v of grow) { if (grow.length < 5) grow.push(v + 1); n++; }
print(n, grow);
