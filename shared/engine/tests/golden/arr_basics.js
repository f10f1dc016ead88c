// Array constructor, statics and the common prototype methods.
var a = [3, 1, 2];
print(a.length, a.join("-"), String(a));
print(a.push(4, 5), a);
print(a.pop(), a.shift(), a);
print(a.unshift(9, 8), a);
print([1, 2, 3].map(function (x) { return x * 2; }), [1, 2, 3, 4].filter(function (x) { return x % 2; }));
print([1, 2, 3].reduce(function (a, b) { return a + b; }), [1, 2, 3].reduceRight(function (a, b) { return a + b; }, ""));
print([1, 2, 3, 4, 5].slice(1, 3), [1, 2, 3, 4, 5].slice(-2), [1, 2, 3].slice());
var s = [1, 2, 3, 4, 5];
print(s.splice(1, 2, "a", "b", "c"), s);
print([1, [2, [3, [4]]]].flat(), [1, [2, [3, [4]]]].flat(Infinity), [1, 2].flatMap(function (x) { return [x, x * 10]; }));
print([1, 2, 3].indexOf(2), [1, 2, 3].indexOf(4), ["a", "b"].indexOf("b"), [NaN].includes(NaN), [NaN].indexOf(NaN), [1, 2, 1].lastIndexOf(1));
print([1, 2, 3].find(function (x) { return x > 1; }), [1, 2, 3].findIndex(function (x) { return x > 1; }));
print([1, 2, 3].findLast(function (x) { return x < 3; }), [1, 2, 3].findLastIndex(function (x) { return x > 5; }));
print([1, 2, 3].every(function (x) { return x > 0; }), [1, 2, 3].some(function (x) { return x > 2; }), [1, 2, 3].at(-1), [1, 2, 3].at(5));
print([1, 2, 3].concat([4, 5], 6, [[7]]));
print(Array.from("abc"), Array.from({ length: 3 }, function (v, i) { return i * i; }), Array.of(7, 8));
print(Array.from(new Set([1, 1, 2])), Array.from(new Map([[1, 2]])));
print(Array(3).length, Array(1, 2), new Array("3"), Array.isArray([]), Array.isArray({}));
print([1, 2, 3, 4, 5].copyWithin(0, 3), [1, 2, 3].fill(0, 1), [1, 2, 3].reverse());
print([1, 2, 3].toReversed(), [3, 1, 2].toSorted(), [1, 2, 3].with(1, 9), [1, 2, 3].toSpliced(1, 1));
print([1, [2, 3]].toString(), [null, undefined, 1].join(), [1, 2].join(undefined), [].join());
var holes = [, 1, , 2];
print(holes.length, holes.indexOf(undefined), holes.includes(undefined), 0 in holes);
var count = 0;
[1, , 3].forEach(function () { count++; });
print(count);
var o = { length: 2, 0: "a", 1: "b" };
print(Array.prototype.join.call(o, "+"), Array.prototype.map.call(o, function (x) { return x + x; }));
print(Array.prototype.push.call(o, "c"), o.length, o[2]);
for (var [i, v] of ["x", "y"].entries()) print(i, v);
print([...[1, 2].keys()], [...[1, 2].values()]);
try { new Array(-1); } catch (e) { print(e.name, e.message); }
try { [].reduce(function (a, b) { return a; }); } catch (e) { print(e.name, e.message); }
try { [1].map(5); } catch (e) { print(e.name); }
try { [1].with(3, 0); } catch (e) { print(e.name); }
