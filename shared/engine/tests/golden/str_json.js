print(JSON.stringify({a: 1, b: [1, "x", null, true, undefined, () => 1], c: {d: "é\n\"\u0001"}}));
print(JSON.stringify([1, 2, {a: [3]}], null, 2));
print(JSON.stringify({a: 1, b: 2, c: 3}, ["c", "a"]), JSON.stringify({a: 1, b: "x"}, (k, v) => typeof v === "number" ? v * 10 : v));
print(JSON.stringify({toJSON(k) { return "T" + k; }}), JSON.stringify(new Date(0) === 1), JSON.stringify(undefined), JSON.stringify(NaN), JSON.stringify(-0));
print(JSON.stringify([new Number(3), new String("s"), new Boolean(false)]), JSON.stringify({a: 1}, null, "--"));
let o = {}; o.self = o; try { JSON.stringify(o) } catch (e) { print(e.name, e.message) }
try { JSON.stringify("\xff") } catch (e) { print(e.name, e.message) }
let p = JSON.parse('{"a":[1,2.5,-3e2,{"b":"x\\u00e9\\ud83d\\ude00"}],"c":true,"d":null,"__proto__":5}');
print(JSON.stringify(p), p.a[3].b.length, Object.keys(p));
print(JSON.parse('[1,2,3]', (k, v) => Array.isArray(v) ? v : v * 2));
for (const bad of ['{', '[1,]', '{"a":1,}', '01', '"\\ud800"', '"a\tb"', 'tru', '', ' 1 2', '"\xff"']) {
  try { JSON.parse(bad); print("ok?", bad) } catch (e) { print(e.name, e.message) }
}
let deep = "[".repeat(100000); try { JSON.parse(deep) } catch (e) { print(e.name, e.message) }
let d = []; let cur = d; for (let i = 0; i < 2000; i++) { let n = []; cur.push(n); cur = n; }
try { JSON.stringify(d) } catch (e) { print(e.name, e.message) }
print(Object.prototype.toString.call(JSON), JSON.stringify({[Symbol()]: 1, 2: 3, a: 4}));
print(JSON.stringify("\u2028\ud800"), JSON.parse(' "ok" '), JSON.parse("1e3"), JSON.stringify({a:[]}, null, 4));
