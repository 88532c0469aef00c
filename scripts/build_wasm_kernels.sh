#!/usr/bin/env bash
# Builds native/wasm/*.c into the two committed modules the wasm backend loads (src/backend/simd_kernels.ts):
#   kernels.wasm         for tfjs-wasm's single-thread build (plain imported memory)
#   kernels_shared.wasm  for its threaded build (imported shared memory, 4 GiB maximum)
# Needs Debian's clang and lld (apt-get install -y clang lld; clang 14 has the wasm32 target). The output is
# deterministic for a given clang version; test/backend/simd_kernels.test.ts rebuilds and compares when clang is
# present. Usage: scripts/build_wasm_kernels.sh [OUT_DIR]   (default native/wasm)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-native/wasm}"
CLANG="${CLANG:-clang}"
WASM_LD="${WASM_LD:-wasm-ld}"
command -v "$CLANG" >/dev/null || { echo "build_wasm_kernels: $CLANG not found (apt-get install -y clang lld)" >&2; exit 1; }
command -v "$WASM_LD" >/dev/null || { echo "build_wasm_kernels: $WASM_LD not found (apt-get install -y lld)" >&2; exit 1; }
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# -ffp-contract=off: every product is rounded before it is added, as in the tfjs kernels these replace.
# -fno-builtin: a zeroing or copying loop stays a loop (the module imports nothing but memory: no memset, no memcpy).
CFLAGS=(--target=wasm32 -O3 -msimd128 -ffp-contract=off -nostdlib -fno-builtin -fno-exceptions -ffile-prefix-map="$PWD"=.)
# No entry point, no start function, no data, no stack (checked below): the module only runs the kernels it exports.
LDFLAGS=(--no-entry --import-memory --strip-all -z stack-size=0)
SOURCES=(native/wasm/kernels.c native/wasm/conv_forward.c native/wasm/conv_filter_grad.c)
PLAIN=() SHARED=()
for src in "${SOURCES[@]}"; do
  name="$(basename "$src" .c)"
  "$CLANG" "${CFLAGS[@]}" -c "$src" -o "$TMP/$name.plain.o"
  "$CLANG" "${CFLAGS[@]}" -matomics -mbulk-memory -c "$src" -o "$TMP/$name.shared.o"
  PLAIN+=("$TMP/$name.plain.o") SHARED+=("$TMP/$name.shared.o")
done
"$WASM_LD" "${LDFLAGS[@]}" -o "$TMP/kernels.wasm" "${PLAIN[@]}"
"$WASM_LD" "${LDFLAGS[@]}" --shared-memory --max-memory=4294967296 -o "$TMP/kernels_shared.wasm" "${SHARED[@]}"
# The kernels write only their outputs: a stack or data segment would live in tfjs's heap and overwrite it.
if command -v llvm-objdump >/dev/null; then
  for f in "$TMP/kernels.wasm" "$TMP/kernels_shared.wasm"; do
    if llvm-objdump -d "$f" | grep -q 'global\.[gs]et'; then echo "build_wasm_kernels: $f uses a global (the stack pointer): refusing" >&2; exit 1; fi
    if llvm-objdump -h "$f" | grep -qw 'DATA'; then echo "build_wasm_kernels: $f has a data section: refusing" >&2; exit 1; fi
  done
fi
cp "$TMP/kernels.wasm" "$TMP/kernels_shared.wasm" "$OUT/"
echo "built $OUT/kernels.wasm ($(stat -c %s "$OUT/kernels.wasm") bytes) and $OUT/kernels_shared.wasm ($(stat -c %s "$OUT/kernels_shared.wasm") bytes) with $("$CLANG" --version | head -n1)"
