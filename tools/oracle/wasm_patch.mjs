// Disables the XNNPACK delegate in the tfjs-tflite WebAssembly build of TensorFlow Lite.
//
// The build applies XNNPACK to quantized conv/depthwise/add whether asked or not, and XNNPACK
// rounds differently from TFLite's built-in kernels by a few LSB. The built-in kernels are the
// reference we want, so we find the function that lazily creates the default XNNPACK delegate
// and make it return a null delegate, which TFLite treats as "no delegate".
//
// That function is recognised by two facts: its type is (i32, i32, i32) -> () (the first i32 is
// the hidden return slot of a std::unique_ptr), and it loads the address of the log string
// below. Everything here is a small reader of the few wasm sections needed to check that.

const LOG_STRING = 'Created TensorFlow Lite XNNPACK delegate for CPU.';

const SECTION = { type: 1, import: 2, function: 3, code: 10, data: 11 };
const OP_I32_CONST = 0x41;

class Reader {
  constructor(bytes, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }
  u8() {
    if (this.pos >= this.end) throw new Error(`wasm: read past end at ${this.pos}`);
    return this.bytes[this.pos++];
  }
  // Unsigned LEB128, up to 32 bits.
  u32() {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift; // multiply, not <<, so bit 31 stays positive
      if (!(b & 0x80)) return result;
    }
    throw new Error(`wasm: LEB128 too long at ${this.pos}`);
  }
  // Signed LEB128, up to 32 bits (the immediate of i32.const).
  s32() {
    let result = 0;
    let shift = 0;
    let b;
    do {
      if (shift >= 35) throw new Error(`wasm: LEB128 too long at ${this.pos}`);
      b = this.u8();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result | 0;
  }
  skip(n) {
    if (this.pos + n > this.end) throw new Error(`wasm: read past end at ${this.pos}`);
    this.pos += n;
  }
  vec(readItem) {
    const n = this.u32();
    const items = [];
    for (let i = 0; i < n; ++i) items.push(readItem());
    return items;
  }
}

// { id -> {start, end} } of the module's sections (custom sections are skipped).
function readSections(bytes) {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b))
    throw new Error('wasm: not a version-1 WebAssembly module');
  const r = new Reader(bytes, 8);
  const sections = new Map();
  while (r.pos < r.end) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    if (id !== 0) sections.set(id, { start, end: r.pos });
  }
  for (const id of Object.values(SECTION))
    if (!sections.has(id)) throw new Error(`wasm: section ${id} is missing`);
  return sections;
}

function sectionReader(bytes, sections, id) {
  const s = sections.get(id);
  return new Reader(bytes, s.start, s.end);
}

// Function types as strings like "i32,i32,i32->" so they compare easily.
function readTypes(r) {
  const names = {
    0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64',
    0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref',
  };
  const valtype = () => {
    const t = r.u8();
    if (!(t in names)) throw new Error(`wasm: unknown value type 0x${t.toString(16)}`);
    return names[t];
  };
  return r.vec(() => {
    if (r.u8() !== 0x60) throw new Error('wasm: expected a function type');
    const params = r.vec(valtype);
    const results = r.vec(valtype);
    return `${params.join(',')}->${results.join(',')}`;
  });
}

// Imported functions take the first function indices; only their count matters here.
function countImportedFunctions(r) {
  const limits = () => {
    const flags = r.u8();
    r.u32();
    if (flags & 1) r.u32();
  };
  let functions = 0;
  r.vec(() => {
    r.skip(r.u32()); // module name
    r.skip(r.u32()); // field name
    const kind = r.u8();
    if (kind === 0) {
      r.u32();
      ++functions;
    } else if (kind === 1) {
      r.u8();
      limits();
    } else if (kind === 2) {
      limits();
    } else if (kind === 3) {
      r.u8();
      r.u8();
    } else {
      throw new Error(`wasm: unknown import kind ${kind}`);
    }
  });
  return functions;
}

// Every memory address where `text` (NUL-terminated, as C string literals are) is placed by an
// active data segment.
function findStringAddresses(r, text) {
  const needle = Buffer.from(text + '\0', 'latin1');
  const addresses = [];
  r.vec(() => {
    const flags = r.u32();
    let offset = null;
    if (flags === 0 || flags === 2) {
      if (flags === 2) r.u32(); // memory index
      // Only a constant offset (`i32.const N; end`) tells where the bytes land.
      if (r.u8() === OP_I32_CONST) {
        offset = r.s32() >>> 0;
        if (r.u8() !== 0x0b) offset = null;
      }
      if (offset === null) throw new Error('wasm: data segment with a non-constant offset');
    } else if (flags !== 1) {
      throw new Error(`wasm: unknown data segment kind ${flags}`);
    }
    const size = r.u32();
    // A Buffer view, because Buffer#indexOf finds byte sequences (TypedArray's finds one byte).
    const data = Buffer.from(r.bytes.buffer, r.bytes.byteOffset + r.pos, size);
    r.skip(size);
    if (offset === null) return; // passive segment: its address is chosen at run time
    for (let i = data.indexOf(needle); i >= 0; i = data.indexOf(needle, i + 1))
      addresses.push(offset + i);
  });
  return addresses;
}

// [{index, start, end}] of each defined function's body (locals + instructions) in the file.
function readBodies(r, firstIndex) {
  let index = firstIndex;
  return r.vec(() => {
    const size = r.u32();
    const body = { index: index++, start: r.pos, end: r.pos + size };
    r.skip(size);
    return body;
  });
}

// True when the body has an `i32.const value` somewhere. This scans bytes rather than decoding
// instructions (which would need the whole opcode table, SIMD included), so an immediate of
// another instruction can match by accident; the caller's uniqueness check catches that.
function loadsConstant(bytes, body, value) {
  for (let p = body.start; p < body.end; ++p) {
    if (bytes[p] !== OP_I32_CONST) continue;
    try {
      if (new Reader(bytes, p + 1, body.end).s32() === value) return true;
    } catch {
      // not a valid LEB here: not an i32.const
    }
  }
  return false;
}

// Returns a patched copy of `wasm` in which creating the default XNNPACK delegate yields null.
// Throws, never falls back, when the function cannot be identified exactly once.
export function disableXnnpack(wasm) {
  const bytes = new Uint8Array(wasm);
  const sections = readSections(bytes);
  const types = readTypes(sectionReader(bytes, sections, SECTION.type));
  const imported = countImportedFunctions(sectionReader(bytes, sections, SECTION.import));
  const functions = sectionReader(bytes, sections, SECTION.function);
  const funcTypes = functions.vec(() => types[functions.u32()]);
  const addresses = findStringAddresses(sectionReader(bytes, sections, SECTION.data), LOG_STRING);
  if (addresses.length !== 1)
    throw new Error(`XNNPACK patch: log string found ${addresses.length} times, expected once`);
  const bodies = readBodies(sectionReader(bytes, sections, SECTION.code), imported);
  if (bodies.length !== funcTypes.length)
    throw new Error('wasm: function and code sections disagree on the number of functions');

  const address = addresses[0] | 0;
  const candidates = bodies.filter(
    (body, i) => funcTypes[i] === 'i32,i32,i32->' && loadsConstant(bytes, body, address));
  if (candidates.length !== 1)
    throw new Error(`XNNPACK patch: ${candidates.length} candidate functions, expected exactly 1`);

  // New body, same length so no size field changes: no locals; store i64 0 at the return
  // slot (the unique_ptr's pointer and deleter, 4 bytes each on wasm32); pad with nop; end.
  const body = candidates[0];
  const code = [0x00, 0x20, 0x00, 0x42, 0x00, 0x37, 0x02, 0x00];
  const length = body.end - body.start;
  if (length < code.length + 1) throw new Error('XNNPACK patch: function body too short');
  bytes.fill(0x01, body.start, body.end - 1); // nop
  bytes.set(code, body.start);
  bytes[body.end - 1] = 0x0b; // end
  return { bytes, functionIndex: body.index, stringAddress: address };
}
