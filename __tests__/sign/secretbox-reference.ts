/**
 * An independent NaCl secretbox (XSalsa20-Poly1305), written for the tests from the specifications
 * (Bernstein, "The Salsa20 family of stream ciphers", "Extending the Salsa20 nonce", "The
 * Poly1305-AES message-authentication code") with plain numbers and BigInt: slow, simple, and
 * sharing no code with the `tweetnacl` implementation the library uses, so a key sealed by one
 * and opened by the other proves both agree on the format rather than on a shared bug.
 */

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // "expand 32-byte k"

const rotl = (v: number, n: number): number => ((v << n) | (v >>> (32 - n))) >>> 0;

function le32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

/** The 20 Salsa20 rounds (10 double rounds) over 16 words, in place. */
function rounds(x: number[]): void {
  const qr = (a: number, b: number, c: number, d: number): void => {
    x[b] = (x[b]! ^ rotl((x[a]! + x[d]!) >>> 0, 7)) >>> 0;
    x[c] = (x[c]! ^ rotl((x[b]! + x[a]!) >>> 0, 9)) >>> 0;
    x[d] = (x[d]! ^ rotl((x[c]! + x[b]!) >>> 0, 13)) >>> 0;
    x[a] = (x[a]! ^ rotl((x[d]! + x[c]!) >>> 0, 18)) >>> 0;
  };
  for (let i = 0; i < 10; i++) {
    // column round
    qr(0, 4, 8, 12);
    qr(5, 9, 13, 1);
    qr(10, 14, 2, 6);
    qr(15, 3, 7, 11);
    // row round
    qr(0, 1, 2, 3);
    qr(5, 6, 7, 4);
    qr(10, 11, 8, 9);
    qr(15, 12, 13, 14);
  }
}

/** The Salsa20 input block: constants, key, and 16 bytes of nonce‖counter (or HSalsa20's input). */
function block(key: Uint8Array, sixteen: Uint8Array): number[] {
  const k = (i: number) => le32(key, 4 * i);
  const n = (i: number) => le32(sixteen, 4 * i);
  return [
    SIGMA[0]!,
    k(0),
    k(1),
    k(2),
    k(3),
    SIGMA[1]!,
    n(0),
    n(1),
    n(2),
    n(3),
    SIGMA[2]!,
    k(4),
    k(5),
    k(6),
    k(7),
    SIGMA[3]!,
  ];
}

function words(out: number[]): Uint8Array {
  const bytes = new Uint8Array(out.length * 4);
  out.forEach((w, i) => {
    bytes[4 * i] = w & 0xff;
    bytes[4 * i + 1] = (w >>> 8) & 0xff;
    bytes[4 * i + 2] = (w >>> 16) & 0xff;
    bytes[4 * i + 3] = (w >>> 24) & 0xff;
  });
  return bytes;
}

function hsalsa20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const x = block(key, nonce16);
  rounds(x);
  return words([x[0]!, x[5]!, x[10]!, x[15]!, x[6]!, x[7]!, x[8]!, x[9]!]);
}

/** `length` bytes of the XSalsa20 key stream for a 32-byte key and a 24-byte nonce. */
function xsalsa20Stream(key: Uint8Array, nonce: Uint8Array, length: number): Uint8Array {
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const out = new Uint8Array(length);
  for (let counter = 0; counter * 64 < length; counter++) {
    const input = new Uint8Array(16);
    input.set(nonce.subarray(16, 24), 0);
    let c = counter;
    for (let i = 8; i < 16; i++) {
      input[i] = c & 0xff;
      c = Math.floor(c / 256);
    }
    const initial = block(subkey, input);
    const x = [...initial];
    rounds(x);
    const bytes = words(x.map((w, i) => (w + initial[i]!) >>> 0));
    out.set(bytes.subarray(0, Math.min(64, length - counter * 64)), counter * 64);
  }
  return out;
}

function leBig(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function poly1305(message: Uint8Array, key: Uint8Array): Uint8Array {
  const p = (1n << 130n) - 5n;
  const r = leBig(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leBig(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < message.length; i += 16) {
    const chunk = message.subarray(i, Math.min(i + 16, message.length));
    acc = ((acc + leBig(chunk) + (1n << BigInt(8 * chunk.length))) * r) % p;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

/** crypto_secretbox: tag (16 bytes) ‖ ciphertext, as golang.org/x/crypto/nacl/secretbox.Seal returns it. */
export function referenceSeal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const stream = xsalsa20Stream(key, nonce, 32 + message.length);
  const ciphertext = message.map((b, i) => b ^ stream[32 + i]!);
  const tag = poly1305(ciphertext, stream.subarray(0, 32));
  const out = new Uint8Array(16 + ciphertext.length);
  out.set(tag, 0);
  out.set(ciphertext, 16);
  return out;
}

/** crypto_secretbox_open: the message, or undefined when the tag does not authenticate. */
export function referenceOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  if (box.length < 16) return undefined;
  const ciphertext = box.subarray(16);
  const stream = xsalsa20Stream(key, nonce, 32 + ciphertext.length);
  const expected = poly1305(ciphertext, stream.subarray(0, 32));
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= expected[i]! ^ box[i]!;
  if (diff !== 0) return undefined;
  return ciphertext.map((b, i) => b ^ stream[32 + i]!);
}
