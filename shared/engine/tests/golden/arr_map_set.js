// Map and Set: SameValueZero keys, insertion order, live iteration, deletion, clear.
var m = new Map([[1, "a"], ["k", "b"], [NaN, "n"]]);
print(m.size, m.get(1), m.get("k"), m.get(NaN), m.has(-0), m.get("x"));
m.set(-0, "zero");
print(m.get(0), [...m.keys()]);
print(m.delete("k"), m.delete("k"), [...m], m.size);
var key = "ab";
var m2 = new Map();
m2.set(key + "c", 1);
print(m2.get("abc"), m2.has("ab" + "c"));
var s = new Set([1, 2, 2, 3, "3"]);
print(s.size, [...s], s.has("3"), s.has(4));
s.forEach(function (v, k, set) { print(v, k, set === s); });
var it = s.values();
s.delete(1);
print(it.next().value);
var big = new Map();
for (var i = 0; i < 1000; i++) big.set("k" + i, i);
for (var i = 0; i < 990; i++) big.delete("k" + i);
print(big.size, big.get("k995"), [...big.keys()].join());
var m3 = new Map();
for (var i = 0; i < 100; i++) m3.set(i, i);
var it3 = m3.keys();
for (var i = 0; i < 50; i++) it3.next();
for (var i = 0; i < 99; i++) if (i != 60) m3.delete(i);
print(it3.next().value, it3.next().value, it3.next().done);
var m4 = new Map([["a", 1], ["b", 2]]);
var it4 = m4.entries();
print(it4.next().value);
m4.clear();
m4.set("c", 3);
print(it4.next().value, it4.next().done);
var seen = [];
var s2 = new Set([1, 2]);
s2.forEach(function (v) { seen.push(v); if (v < 5) s2.add(v + 2); });
print(seen);
print(Object.prototype.toString.call(m), Object.prototype.toString.call(new Set().values()));
var wm = new WeakMap();
var k = {};
wm.set(k, 5);
print(wm.get(k), wm.has({}), wm.delete(k), wm.has(k));
var ws = new WeakSet([k]);
print(ws.has(k), ws.has({}));
try { wm.set(1, 2); } catch (e) { print(e.name); }
try { Map.prototype.get.call(wm, k); } catch (e) { print(e.name); }
try { Map(); } catch (e) { print(e.name); }
try { new Map([1]); } catch (e) { print(e.name); }
print(Map.groupBy([1, 2, 3, 4], function (x) { return x % 2 ? "odd" : "even"; }).get("odd"));
print(new Set([1, 2, 3]).union(new Set([4])).size, [...new Set([1, 2, 3]).intersection(new Set([2, 3, 4]))]);
print([...new Set([1, 2, 3]).difference(new Set([2]))], new Set([1]).isSubsetOf(new Set([1, 2])));
var churn = new Set();
for (var i = 0; i < 100000; i++) { churn.add(i); churn.delete(i - 5); }
print(churn.size, [...churn]);
print(Map.prototype[Symbol.iterator] === Map.prototype.entries, Set.prototype.keys === Set.prototype.values);
