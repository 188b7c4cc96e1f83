/* SHA-256 (FIPS 180-4) in plain JavaScript, for the 扫码验真 page where the browser has no
   crypto.subtle: browsers offer it only on HTTPS and localhost, and a court clerk may open
   the page over plain HTTP on an agency's intranet. Nothing is sent anywhere. The field pages
   use `digest` too: media and signatures are hashed on the phone at capture, and files in
   chunks before they are uploaded. */
(function (global) {
  "use strict";

  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);

  function rotr(x, n) {
    return (x >>> n) | (x << (32 - n));
  }

  // One 64-byte block of `data` at `offset` into the state `H`.
  function block(H, W, data, offset) {
    var t, a, b, c, d, e, f, g, h, s0, s1, t1, t2;
    for (t = 0; t < 16; t++) {
      var o = offset + 4 * t;
      W[t] = (data[o] << 24) | (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3];
    }
    for (t = 16; t < 64; t++) {
      s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >>> 3);
      s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >>> 10);
      W[t] = W[t - 16] + s0 + W[t - 7] + s1;  // the Uint32Array keeps it mod 2^32
    }
    a = H[0]; b = H[1]; c = H[2]; d = H[3]; e = H[4]; f = H[5]; g = H[6]; h = H[7];
    for (t = 0; t < 64; t++) {
      t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
      t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }

  var INIT = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

  // A running hash, fed piece by piece: a video of several gigabytes is read in chunks.
  function Hasher() {
    this.H = new Uint32Array(INIT);
    this.W = new Uint32Array(64);
    this.rest = new Uint8Array(64);
    this.restLength = 0;
    this.length = 0;
  }
  Hasher.prototype.update = function (bytes) {
    var offset = 0;
    this.length += bytes.length;
    if (this.restLength) {
      offset = Math.min(64 - this.restLength, bytes.length);
      this.rest.set(bytes.subarray(0, offset), this.restLength);
      this.restLength += offset;
      if (this.restLength < 64) return this;
      block(this.H, this.W, this.rest, 0);
      this.restLength = 0;
    }
    for (; offset + 64 <= bytes.length; offset += 64) {
      block(this.H, this.W, bytes, offset);
    }
    this.rest.set(bytes.subarray(offset));
    this.restLength = bytes.length - offset;
    return this;
  };
  // The rest, the 0x80 marker, zeros, and the length in bits as a 64-bit big-endian number.
  Hasher.prototype.hex = function () {
    var length = this.length, H = this.H, offset;
    var tail = new Uint8Array(this.restLength < 56 ? 64 : 128);
    tail.set(this.rest.subarray(0, this.restLength));
    tail[this.restLength] = 0x80;
    var high = Math.floor(length / 0x20000000), low = (length * 8) >>> 0;
    var end = tail.length;
    tail[end - 8] = high >>> 24; tail[end - 7] = high >>> 16; tail[end - 6] = high >>> 8; tail[end - 5] = high;
    tail[end - 4] = low >>> 24; tail[end - 3] = low >>> 16; tail[end - 2] = low >>> 8; tail[end - 1] = low;
    for (offset = 0; offset < end; offset += 64) {
      block(H, this.W, tail, offset);
    }
    var out = "";
    for (var i = 0; i < 8; i++) {
      out += ("0000000" + H[i].toString(16)).slice(-8);
    }
    return out;
  };

  // The SHA-256 of a Uint8Array, as 64 lower-case hex digits.
  function hex(bytes) {
    return new Hasher().update(bytes).hex();
  }

  function toHex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  var WHOLE = 256 * 1024 * 1024, CHUNK = 8 * 1024 * 1024;
  // A promise of the SHA-256 of a Blob (a file, a recording) or a string (UTF-8).
  // crypto.subtle (HTTPS and localhost only) for what fits in memory at once; larger files,
  // and pages without it, are read in chunks through the running hash. `progress(done, total)`.
  function digest(data, progress) {
    if (typeof data === "string") data = new Blob([data]);
    if (global.crypto && crypto.subtle && data.size <= WHOLE) {
      return data.arrayBuffer().then(function (bytes) { return crypto.subtle.digest("SHA-256", bytes); }).then(toHex);
    }
    var hasher = new Hasher();
    function from(offset) {
      if (progress) progress(offset, data.size);
      if (offset >= data.size) return Promise.resolve(hasher.hex());
      return data.slice(offset, offset + CHUNK).arrayBuffer().then(function (bytes) {
        hasher.update(new Uint8Array(bytes));
        return from(offset + CHUNK);
      });
    }
    return from(0);
  }

  global.LawTrailSHA256 = {hex: hex, digest: digest, Hasher: Hasher};
})(window);
