// Recursion through natives (sort comparators, toJSON, getters, toString, replace callbacks) is bounded.
function viaSort() { [2,1].sort(function(a,b){ return viaSort(), a-b; }); }
try { viaSort(); } catch (e) { print('sort', e.message); }
function viaJson() { return JSON.stringify({ toJSON() { return viaJson(); } }); }
try { viaJson(); } catch (e) { print('json', e.message); }
function viaGetter() { const o = { get x() { return viaGetter(); } }; return o.x; }
try { viaGetter(); } catch (e) { print('getter', e.message); }
function viaToString() { return '' + { toString: viaToString }; }
try { viaToString(); } catch (e) { print('toString', e.message); }
function viaReplace() { return 'a'.replace(/a/, viaReplace); }
try { viaReplace(); } catch (e) { print('replace', e.message); }
print('alive');
