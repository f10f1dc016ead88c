// Work and memory bounds: these must throw (or finish) instead of hanging or crashing.
try { new Array(4294967296); } catch (e) { print(e.name, e.message); }
try { [].length = -1; } catch (e) { print(e.name); }
var a = new Array(4294967295);
print(a.length, a.indexOf(1), a.includes(undefined), a.join("").length);
try { a.join("x"); } catch (e) { print(e.name, e.message); }
try { a.push(1); } catch (e) { print(e.name); }
print(a.length);
var deep = [];
for (var i = 0; i < 10000; i++) deep = [deep];
print(deep.flat(Infinity).length);
try { Array.prototype.toReversed.call({ length: 2 ** 32 }); } catch (e) { print(e.name); }
var cyc = [1, 2];
cyc.push(cyc);
try { print(cyc.join().length >= 0); } catch (e) { print(e.name); }
try { new Array(1e5).fill(0).length; print("filled"); new Array(4e9).fill(0); print("unreachable"); } catch (e) { print(e.name); }
var sparse = [];
sparse[1e9] = 1;
print(sparse.length, sparse.indexOf(1), sparse.lastIndexOf(1));
