#!/usr/bin/env python3
"""Checks the compiled CPU kernels in libt2_tensor.a with objdump, so that a compiler change cannot
silently lose what makes them fast or portable (docs/tensor.md, "What the inner loops must look
like"):

  inner loops   The hot loop of each listed register tile holds exactly its multiply-adds (e.g. 24
                vdpbf16ps in the AVX512-BF16 4 x 6 tile), and touches memory only to load: no store,
                no stack access (a spilled accumulator shows up as both) and no call.
  no leaks      (--baseline-only) Only functions in the per-level namespaces (avx2, avx512,
                avx512bf16, amx, simd::V16/V8) contain AVX/AVX-512/AMX instructions: the rest of the
                library must run on any x86-64 CPU, before the level is chosen.

Usage: inner_loop_check.py OBJDUMP LIBRARY [--baseline-only]. Needs only the Python standard library
and binutils' objdump. Exit status 0 when every check passes; the failures are printed otherwise.
"""
import re
import subprocess
import sys

# (function name fragment, multiply-add mnemonic, count in the hot loop)
TILES = [
    ("avx512bf16::(anonymous namespace)::tile<4, 6>(", "vdpbf16ps", 24),
    ("avx512bf16::(anonymous namespace)::tile<8, 1>(", "vdpbf16ps", 8),
    ("avx512::linear_detail::dot_tile<(t2::tensor::DType)1, 4, 6>(", "vfmadd231ps", 24),
    ("avx2::linear_detail::dot_tile<(t2::tensor::DType)1, 3, 4>(", "vfmadd231ps", 12),
    ("avx512::linear_detail::gemm_tile<6>(", "vfmadd231ps", 12),
    ("avx2::linear_detail::gemm_tile<6>(", "vfmadd231ps", 12),
    ("amx::(anonymous namespace)::block<2, 2>(", "tdpbf16ps", 4),
    ("avx512::attention_detail::scores<8, unsigned short>(", "vfmadd231ps", 16),
    ("avx512::attention_detail::pv_rows<2, 8, false, unsigned short>(", "vfmadd231ps", 16),
    ("avx2::attention_detail::scores<8, unsigned short>(", "vfmadd231ps", 8),
    ("avx2::attention_detail::pv_rows<2, 5, false, unsigned short>(", "vfmadd231ps", 10),
]

LEVEL_NAMESPACES = {"avx2", "avx512", "avx512bf16", "amx", "V16", "V8"}
JUMP = re.compile(r"^j[a-z]+$")
VECTOR_REG = re.compile(r"%(ymm|zmm|k[0-7]\b|tmm)")


def functions(lines):
    """Yields (name, [(address, mnemonic, operands)]) for every function in the disassembly."""
    name, body = None, []
    header = re.compile(r"^([0-9a-f]+) <(.*)>:$")
    insn = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
    for line in lines:
        m = header.match(line)
        if m:
            if name is not None:
                yield name, body
            name, body = m.group(2), []
            continue
        m = insn.match(line)
        if m and name is not None:
            body.append((int(m.group(1), 16), m.group(2), m.group(3).split("#")[0].strip()))
    if name is not None:
        yield name, body


def operands(text):
    """Splits AT&T operands at top-level commas."""
    out, depth, cur = [], 0, ""
    for c in text:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


def hot_loop(body, mnemonic):
    """The loop (backward jump and its target) holding the most `mnemonic` instructions."""
    best = None
    for i, (addr, mnem, ops) in enumerate(body):
        if not JUMP.match(mnem):
            continue
        target = ops.split()[0]
        try:
            target = int(target, 16)
        except ValueError:
            continue
        if target >= addr:
            continue
        loop = [x for x in body[: i + 1] if x[0] >= target]
        n = sum(1 for x in loop if x[1] == mnemonic)
        if best is None or n > best[0]:
            best = (n, loop)
    return best[1] if best else []


def check_tile(funcs, fragment, mnemonic, expected):
    matches = [(n, b) for n, b in funcs if fragment in n]
    if not matches:
        return [f"{fragment}: function not found in the library"]
    all_errors = []
    for name, body in matches:
        errors = []
        loop = hot_loop(body, mnemonic)
        count = sum(1 for x in loop if x[1] == mnemonic)
        if count != expected:
            errors.append(f"{name}: hot loop has {count} {mnemonic}, expected {expected}")
        for _, mnem, ops in loop:
            if JUMP.match(mnem):
                continue
            ops_list = operands(ops)
            stack = any("%rsp" in o or "%rbp" in o for o in ops_list if "(" in o)
            store = (len(ops_list) >= 2 and "(" in ops_list[-1] and not mnem.startswith(("cmp", "test"))
                     and not mnem.startswith("tileloadd"))
            if mnem.startswith("tilestored"):
                store = True
            if mnem.startswith("call"):  # every vector register is caller-saved: a call spills them
                errors.append(f"{name}: hot loop calls {ops}")
            if stack or store:
                errors.append(f"{name}: hot loop {'accesses the stack' if stack else 'stores'}: {mnem} {ops}")
        print(f"{'ok ' if not errors else 'BAD'} {fragment[:-1]}: hot loop of {len(loop)} instructions, "
              f"{count} {mnemonic}" + ("" if errors else ", no store, no stack access"))
        all_errors += errors
    return all_errors


def own_namespaces(name):
    """Components of the function's own qualified name (template arguments removed)."""
    depth, flat = 0, ""
    for c in name:
        if c == "<":
            depth += 1
        elif c == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            flat += c
    flat = flat.split("(")[0].split(" ")[-1]
    return set(flat.split("::"))


def is_vector(mnemonic, ops):
    """VEX/EVEX-encoded (v...), mask-register (k...) or AMX instruction, or a ymm/zmm/k/tmm operand."""
    return mnemonic.startswith(("v", "k", "tile", "ldtilecfg", "sttilecfg")) or VECTOR_REG.search(ops)


def check_leaks(funcs):
    errors = []
    for name, body in funcs:
        vector = [f"{m} {o}" for _, m, o in body if is_vector(m, o)]
        if vector and not (own_namespaces(name) & LEVEL_NAMESPACES):
            errors.append(f"{name}: baseline code with {vector[0]!r} ({len(vector)} such instructions)")
    return errors


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    objdump, library = sys.argv[1], sys.argv[2]
    out = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", library], check=True,
                         capture_output=True, text=True).stdout
    funcs = list(functions(out.splitlines()))
    errors = []
    for fragment, mnemonic, expected in TILES:
        errors += check_tile(funcs, fragment, mnemonic, expected)
    if "--baseline-only" in sys.argv[3:]:
        leaks = check_leaks(funcs)
        print(f"{'ok ' if not leaks else 'BAD'} {len(funcs)} functions: vector instructions only in "
              f"the per-level namespaces")
        errors += leaks
    for e in errors:
        print("error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
