// RegExp: exec/test/lastIndex, flags, source, Symbol methods, split/replace edge cases.
let re = /(\d+)-(\d+)/g;
print(re.test("10-20 30-40"), re.lastIndex, re.test("10-20 30-40"), re.lastIndex, re.test("10-20 30-40"), re.lastIndex);
let st = /a/y; st.lastIndex = 1; print(st.test("ba"), st.lastIndex, st.test("ba"), st.lastIndex);
print(new RegExp("x", "gi").flags, RegExp("a", "") instanceof RegExp, new RegExp(/ab/g).source, new RegExp(/ab/g, "i").flags);
try { new RegExp("a", "gg") } catch (e) { print(e.name) }
try { new RegExp("(") } catch (e) { print(e.name) }
try { RegExp.prototype.exec.call({}, "a") } catch (e) { print(e.name) }
print(RegExp.prototype.global, RegExp.prototype.flags, String(RegExp.prototype), RegExp.prototype.toString.call({source: "S", flags: "F"}));
print("aaa".replace(/a*?/g, "-"), "abc".replace(/(?:)/g, "|"), "x".replace(/x/, "$0$1$$"), "abc".replace(/(b)/, "[$1$2$`$']"));
print("one two  three".split(/\s+/), "abc".split(/(?:)/), "a,b;c".split(/[,;]/, 2), "".split(/x/), "".split(/(?:)/));
print("AbC".match(/b/i).index, "xyz".match(/q/), "a1b2".match(/\d/g), "aaa".match(/a*?/g).length);
print("hello".search(/l+/), "hello".search("z"), /\bfoo\b/m.exec("a\nfoo")[0]);
let m = "2020-01-02".match(/(?<y>\d+)-(?<m>\d+)-(?<d>\d+)/);
print(m.groups.y, m.groups.m, m.groups.d, Object.getPrototypeOf(m.groups));
print("k1=v1;k2=v2".replace(/(\w+)=(\w+)/g, (all, k, v, off) => v + "=" + k + "@" + off));
print("caf\xe9".replace(/f./, "F"), "é-é".split(/-/), /é+/.exec("xééy").index, "日本語".match(/本/).index);
print([..."a-b_c".matchAll(/[-_]/g)].map(x => x.index), RegExp[Symbol.species] === RegExp);
try { "abc".matchAll(/b/) } catch (e) { print(e.name) }
try { "abc".replaceAll(/b/, "x") } catch (e) { print(e.name) }
print("abcb".replaceAll(/b/g, "X"), /a.c/s.test("a\nc"), /a.c/.test("a\nc"), /^b/m.test("a\nb"));
let custom = { [Symbol.replace](s, r) { return "custom:" + s + r; } };
print("str".replace(custom, "!"), /[/]\//.source, RegExp("\n").source);
class MyRE extends RegExp { exec(s) { let r = super.exec(s); if (r) r[0] = r[0].toUpperCase(); return r; } }
print("abc".replace(new MyRE("b"), "[$&]"), new MyRE("b", "g")[Symbol.split]("abcbd"));
