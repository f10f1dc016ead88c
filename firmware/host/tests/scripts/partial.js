print("before");
let o = null;
o.x;
