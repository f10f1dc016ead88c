// ArrayBuffer, typed arrays, DataView.
var a = new Uint8Array([1, 2, 300, -1]);
print(a.length, a[2], a[3], a.join("-"), a.byteLength, Uint8Array.BYTES_PER_ELEMENT, a.BYTES_PER_ELEMENT);
var f = new Float64Array(4); f.fill(1.5, 1, 3); print(f.join());
var b = new ArrayBuffer(8), dv = new DataView(b);
dv.setUint16(0, 0x1234); print(dv.getUint8(0), dv.getUint8(1), dv.getUint16(0, true), b.byteLength);
dv.setFloat32(4, 1.5, true); print(new Float32Array(b, 4, 1)[0], new Uint8Array(b).join(","));
dv.setInt32(0, -2); print(dv.getInt32(0), dv.getUint32(0), dv.getInt16(2, true), dv.byteLength, dv.byteOffset);
var i32 = new Int32Array([5, 3, 9, -1, 0]); i32.sort();
print(i32.join(), i32.map(x => x * 2).join(), i32.filter(x => x > 0).join());
print(i32.reduce((s, x) => s + x), i32.reduceRight((s, x) => s + "," + x, ""), i32.indexOf(9), i32.lastIndexOf(5), i32.includes(-1));
print(i32.slice(1, 3).join(), i32.subarray(1, 3).join(), i32.subarray(-2).byteOffset, i32.at(-1), i32.toReversed().join(), i32.with(0, 42).join());
print(new Uint8ClampedArray([300, -5, 1.5, 2.5, 0.5]).join(), new Int8Array([128, 255, -129]).join(), new Uint32Array([-1])[0]);
print(Uint16Array.from([1, 2, 3], x => x * 10).join(), Int8Array.of(1, 2, 127, 128).join(), new Uint8Array(new Set([4, 5])).join());
var t = new Int16Array(6); t.set([1, 2, 3], 2); print(t.join());
t.set(new Int8Array([-1, -2]), 0); print(t.join());
t.copyWithin(0, 3); print(t.join());
var ov = new Uint8Array([1, 2, 3, 4, 5, 6]); ov.set(ov.subarray(0, 4), 2); print(ov.join());
print(Object.prototype.toString.call(t), t[Symbol.toStringTag], ArrayBuffer.isView(t), ArrayBuffer.isView(dv), ArrayBuffer.isView(b));
var s = b.slice(4); print(s.byteLength, new Uint8Array(s).join());
for (const bad of [() => Uint8Array(2), () => new Uint8Array(-1), () => new ArrayBuffer(1e12), () => new Int32Array(new ArrayBuffer(7)),
                   () => dv.getUint32(6), () => new Int32Array(new ArrayBuffer(8), 2), () => i32.with(10, 1), () => new DataView({})]) {
  try { bad(); print("no error"); } catch (e) { print(e.name); }
}
var sum = 0; for (var x of new Uint8Array([7, 8])) sum += x; print(sum, [...new Uint8Array([1, 2]).entries()].join("|"), [...new Int8Array(3).keys()].join());
var tt = new Float64Array([3, NaN, -0, 0, -Infinity, 1]); tt.sort(); print(tt.join(), 1 / tt[1]);
print(new Uint8Array([3, 1, 2]).toSorted((a, b) => b - a).join(), new Float32Array([1.1])[0], String(new Uint8Array([1, 2])));
class MyTA extends Uint8Array {}
var m = new MyTA(4); print(m instanceof Uint8Array, m.map(x => x + 1) instanceof MyTA, m.length, m.subarray(1) instanceof MyTA);
print(Object.getPrototypeOf(Int8Array).name, Int8Array.length, Int8Array.name, Uint8Array.prototype.toString === Array.prototype.toString);
var buf = new ArrayBuffer(4), u8 = new Uint8Array(buf);
print(buf.detached, u8.find(x => x === 0), u8.findLastIndex(x => x === 0), u8.every(x => x === 0), u8.some(x => x));
print(JSON.stringify(new Uint8Array([1, 2])), Array.from(new Uint16Array([9, 8])).join(), new Float64Array([1, 2]).reverse().join());
