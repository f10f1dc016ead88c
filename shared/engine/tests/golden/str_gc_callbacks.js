// Callbacks that allocate heavily while string/RegExp/JSON natives hold intermediate values.
function churn() { let a = []; for (let i = 0; i < 2000; i++) a.push({ i, s: 'x' + i }); return a.length; }
let r1 = ('k' + 1 + '=v;').repeat(50).replace(/(\w)(\d)=(\w)/g, (m, a, b, c) => { churn(); return c + b + a; });
print(r1.length, r1.slice(0, 12));
let parsed = JSON.parse(JSON.stringify({ a: [1, 2, { b: 'c' }], d: 'e' }), (k, v) => { churn(); return typeof v === 'number' ? v + 1 : v; });
print(JSON.stringify(parsed));
let obj = { toJSON() { churn(); return { made: 'fresh' + churn() }; } };
print(JSON.stringify([obj, obj], (k, v) => { churn(); return v; }));
let wrapped = { toString() { churn(); return 'abcabc'; } };
print(String.prototype.split.call(wrapped, 'b'), String.prototype.replaceAll.call(wrapped, 'c', () => churn() && 'Z'));
let re = /a/g; re.lastIndex = { valueOf() { churn(); return 0; } };
print(re.exec('banana').index, 'x'.concat({ toString() { churn(); return 'y'; } }, 'z'));
print([...'a1b2c3'.matchAll(/\d/g)].map(m => (churn(), m[0])).join());
print('abc'.padStart({ valueOf() { churn(); return 6; } }, '*'), 'hello'.indexOf('l', { valueOf() { churn(); return 3; } }));
