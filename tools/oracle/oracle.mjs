// The TFLite oracle: runs a .tflite model on the real TensorFlow Lite runtime (the WebAssembly
// build shipped in @tensorflow/tfjs-tflite) so tpulab's results can be checked against it.
//
//   node oracle.mjs info  --model M.tflite
//   node oracle.mjs run   --model M.tflite [--xnnpack] [--threads 1] --input-raw a.bin[,b.bin]
//                         (--output-raw o0.bin[,o1.bin] | --output-dir D) [--repeat N]
//   node oracle.mjs bench --model M.tflite [--xnnpack] [--threads 1] [--repeat N]
//
// stdout carries exactly one JSON object; TFLite's own log lines and errors go to stderr.
// See README.md.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { disableXnnpack } from './wasm_patch.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WASM_DIR = path.join(HERE, 'node_modules/@tensorflow/tfjs-tflite/wasm');
// The SIMD build for both modes: its built-in kernels give the same bytes at the same speed as
// the plain build's (checked, see README.md), and its XNNPACK is about 7x faster.
const VARIANT = 'tflite_web_api_cc_simd';
const XNNPACK_LOG = 'XNNPACK delegate';

class UsageError extends Error {}

// Loads the TFLite runtime. TFLite's log lines go to stderr so stdout stays pure JSON; they are
// also watched, so a builtin-kernel run that still creates XNNPACK fails instead of lying.
async function loadRuntime(xnnpack) {
  const wasmFile = path.join(WASM_DIR, `${VARIANT}.wasm`);
  if (!fs.existsSync(wasmFile))
    throw new Error(`${wasmFile} not found: run ./run setup (npm ci in tools/oracle)`);
  let wasm = fs.readFileSync(wasmFile);
  if (!xnnpack) wasm = disableXnnpack(wasm).bytes;
  // Compiling here validates the (patched) module and lets the glue skip its own compile.
  const compiled = new WebAssembly.Module(wasm);

  // TFLite's ERROR lines say why a model failed (its status message only says "Can't
  // initialize model"), so they are also kept for the error message.
  const state = { xnnpackSeen: false, errors: [] };
  const log = (line) => {
    if (line.includes(XNNPACK_LOG)) state.xnnpackSeen = true;
    if (line.startsWith('ERROR: ')) state.errors.push(line.slice(7).trim());
    if (line.trim() !== '') process.stderr.write(`tflite: ${line}\n`);
  };
  // The glue is an Emscripten CommonJS script; it cannot fetch the .wasm outside a browser,
  // hence instantiateWasm.
  const factory = createRequire(import.meta.url)(path.join(WASM_DIR, `${VARIANT}.js`));
  const module = await factory({
    print: log,
    printErr: log,
    instantiateWasm(imports, receive) {
      receive(new WebAssembly.Instance(compiled, imports), compiled);
      return {};
    },
  });
  return { module, state };
}

function parseShape(text) {
  return text === '' ? [] : text.split(',').map(Number);
}

function describe(tensors) {
  return tensors.map((t) => ({
    name: t.name,
    shape: parseShape(t.shape),
    dtype: t.dataType,
    bytes: t.data().byteLength,
  }));
}

// The tensor's bytes as a Uint8Array view into wasm memory. Views die when memory grows, so
// callers take a fresh one right before use.
function byteView(tensor) {
  const data = tensor.data();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// embind vectors -> JS arrays.
function toArray(vector) {
  const out = [];
  for (let i = 0; i < vector.size(); ++i) out.push(vector.get(i));
  return out;
}

async function createRunner(modelPath, xnnpack, threads) {
  const modelBytes = fs.readFileSync(modelPath);
  const { module, state } = await loadRuntime(xnnpack);
  const ptr = module._malloc(Math.max(modelBytes.length, 1));
  module.HEAPU8.set(modelBytes, ptr);
  // TFLite keeps pointers into the model buffer, so it is never freed.
  const result = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, modelBytes.length, {
    numThreads: threads,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  // The status message plus the TFLite errors logged so far (taken once).
  const failure = (message) => {
    const details = state.errors.splice(0).join(' ');
    return new Error(details ? `${message}: ${details}` : message);
  };
  if (!result.ok()) throw failure(result.errorMessage());
  const runner = result.value();
  return {
    infer() {
      if (!runner.Infer()) throw failure('Infer() failed');
    },
    inputs: toArray(runner.GetInputs()),
    outputs: toArray(runner.GetOutputs()),
    // The delegate is created (and logged) while the interpreter is built, so this can be
    // checked right after creation.
    checkKernels() {
      if (!xnnpack && state.xnnpackSeen)
        throw new Error('XNNPACK was used although the patch should have disabled it');
      if (xnnpack && !state.xnnpackSeen)
        process.stderr.write('oracle: note: XNNPACK delegate was not created for this model\n');
    },
  };
}

// Runs inference `repeat` times and returns the median time of one run in ms. With repeat > 1 an
// extra untimed run goes first: V8 compiles wasm functions lazily on their first call.
function timeInference(r, repeat) {
  if (repeat > 1) r.infer();
  const times = [];
  for (let i = 0; i < repeat; ++i) {
    const t0 = performance.now();
    r.infer();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

// Deterministic pseudo-random bytes for bench (xorshift32); floats get values in [0, 1).
function fillRandom(tensor, seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
  const data = tensor.data();
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  for (let i = 0; i < data.length; ++i) data[i] = isFloat ? next() / 2 ** 32 : next() & 0xff;
}

function splitList(value, what) {
  if (value === undefined) throw new UsageError(`${what} is required`);
  return value === '' ? [] : value.split(',');
}

function positiveInt(value, what, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer`);
  return n;
}

const OPTIONS = {
  model: { type: 'string' },
  xnnpack: { type: 'boolean', default: false },
  threads: { type: 'string' },
  'input-raw': { type: 'string' },
  'output-raw': { type: 'string' },
  'output-dir': { type: 'string' },
  repeat: { type: 'string' },
};

// Checks the command line; returns the command and its settings.
function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (positionals.length !== 1 || !['run', 'info', 'bench'].includes(command))
    throw new UsageError('usage: oracle.mjs run|info|bench --model M.tflite [options]');
  if (!values.model) throw new UsageError('--model is required');
  const threads = positiveInt(values.threads, '--threads', 1);
  // The threaded wasm builds need Web Workers, which Node lacks. The build we use has no
  // threads, and its built-in kernels spin forever when asked for more than one.
  if (threads !== 1) throw new UsageError('--threads: only 1 is supported (single-threaded build)');
  const settings = {
    model: values.model,
    xnnpack: values.xnnpack,
    threads,
    repeat: positiveInt(values.repeat, '--repeat', command === 'bench' ? 10 : 1),
  };
  if (command === 'run') {
    settings.inputFiles = splitList(values['input-raw'], '--input-raw');
    // --output-dir is for callers that do not know the number of outputs beforehand.
    if ((values['output-raw'] === undefined) === (values['output-dir'] === undefined))
      throw new UsageError('run needs exactly one of --output-raw and --output-dir');
    if (values['output-raw'] !== undefined)
      settings.outputFiles = splitList(values['output-raw'], '--output-raw');
    else settings.outputDir = values['output-dir'];
  }
  return { command, settings };
}

async function execute(command, s) {
  const r = await createRunner(s.model, s.xnnpack, s.threads);
  r.checkKernels();
  const report = {
    inputs: describe(r.inputs),
    outputs: describe(r.outputs),
    kernels: s.xnnpack ? 'xnnpack' : 'builtin',
  };
  if (command === 'run') {
    const outputFiles =
      s.outputFiles ?? r.outputs.map((_, i) => path.join(s.outputDir, `output_${i}.bin`));
    const counts = (what, model, given) => `model has ${model} ${what}, got ${given} files`;
    if (s.inputFiles.length !== r.inputs.length)
      throw new Error(counts('inputs', r.inputs.length, s.inputFiles.length));
    if (outputFiles.length !== r.outputs.length)
      throw new Error(counts('outputs', r.outputs.length, outputFiles.length));
    r.inputs.forEach((tensor, i) => {
      const bytes = fs.readFileSync(s.inputFiles[i]);
      const view = byteView(tensor);
      if (bytes.length !== view.length)
        throw new Error(
          `input ${i} (${tensor.name}) needs ${view.length} bytes, ` +
            `${s.inputFiles[i]} has ${bytes.length}`,
        );
      view.set(bytes);
    });
    report.ms_per_inference = timeInference(r, s.repeat);
    r.outputs.forEach((tensor, i) => fs.writeFileSync(outputFiles[i], byteView(tensor)));
  } else if (command === 'bench') {
    r.inputs.forEach((tensor, i) => fillRandom(tensor, 12345 + i));
    report.ms_per_inference = timeInference(r, s.repeat);
  }
  return report;
}

async function main(argv) {
  // Usage errors are found before the slow part.
  const { command, settings } = parseCommandLine(argv);
  try {
    const report = await execute(command, settings);
    process.stdout.write(JSON.stringify(report) + '\n');
  } catch (e) {
    // Emscripten aborts may throw non-Error values; name the model in every failure.
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { model: settings.model });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(e.model ? `error: ${message} (${e.model})\n` : `error: ${message}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
