// sort: default order by string, comparator, stability, undefined and holes.
print([5, 1, 4, 2, 3].sort(), [5, 1, 10, 2].sort(), [5, 1, 10, 2].sort(function (a, b) { return a - b; }));
var x = [undefined, 3, , 1].sort();
print(x.length, x[0], x[1], x[2], 2 in x, 3 in x);
var people = [];
for (var i = 0; i < 20; i++) people.push({ age: i % 3, id: i });
people.sort(function (a, b) { return a.age - b.age; });
print(people.map(function (p) { return p.id; }).join(","));
// a comparator that throws
try { [3, 2, 1].sort(function () { throw new Error("boom"); }); } catch (e) { print(e.message); }
// an inconsistent comparator must not crash
var r = [];
for (var i = 0; i < 100; i++) r.push(i);
r.sort(function () { return Math.random() - 0.5; });
print(r.length, r.reduce(function (a, b) { return a + b; }, 0));
// a comparator that mutates the array
var m = [5, 4, 3, 2, 1];
m.sort(function (a, b) { m.length = 0; return a - b; });
print(m.length);
// large numeric sort
var big = [];
for (var i = 0; i < 10000; i++) big.push((i * 7919) % 10007);
big.sort(function (a, b) { return a - b; });
var ok = true;
for (var i = 1; i < big.length; i++) if (big[i - 1] > big[i]) ok = false;
print(ok, big[0], big[big.length - 1]);
print(["b", "a", "c", "B"].sort(), [true, false].sort(), [3, 20, 100].toSorted());
var obj = { length: 3, 0: "c", 1: "a", 2: "b" };
Array.prototype.sort.call(obj);
print(obj[0], obj[1], obj[2]);
try { [].sort(1); } catch (e) { print(e.name); }
