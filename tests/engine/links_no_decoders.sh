#!/usr/bin/env bash
# links_no_decoders.sh LIBTPULAB_ENGINE.a: the runtime stays embeddable without decoders, so its
# library holds no stb_image, zlib or data-module code (those live in tpulab_data).
set -euo pipefail
syms="$(nm -C "$1")"
# Not vacuous: the library must hold the interpreter.
grep -q 'tpulab::engine::Interpreter::invoke' <<<"$syms" || { echo "no Interpreter in $1" >&2; exit 1; }
if grep -E 'stbi_|\bgz(open|read|close)\b|tpulab::data::' <<<"$syms"; then
  echo "$1 refers to decoders or the data module (above)" >&2
  exit 1
fi
echo "$1: no stb, zlib or tpulab::data symbols"
