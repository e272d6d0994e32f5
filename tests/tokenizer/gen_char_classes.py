#!/usr/bin/env python3
"""Writes tests/tokenizer/char_classes.txt: how Hugging Face's tokenizers (Rust + Oniguruma) classes
every code point under the Llama-3 split pattern -- letter (\\p{L}), number (\\p{N}), space (\\s) or
other -- found by probing its pre-tokenizer, as inclusive ranges "FIRST LAST CLASS" (hex). The C++
test compares src/tokenizer/unicode_tables.inc with it, which catches Unicode-version differences
between Python's unicodedata and Oniguruma. Run from the repository root in the tools venv:

    /work/venv-tokenizer/bin/python tests/tokenizer/gen_char_classes.py
"""
from tokenizers import Tokenizer

FIX = "../shared/fixtures/tokenizers/llama3/tokenizer.json"
OUT = "tests/tokenizer/char_classes.txt"


def main():
    pre = Tokenizer.from_file(FIX).pre_tokenizer
    split = pre.pre_tokenize_str

    def klass(cp):
        c = chr(cp)
        if c in "\r\n":
            return "S"
        if c == " ":
            return "S"
        n1 = len(split("x" + c + "x"))  # letter: 1 piece; number: 3; space or other: 2
        if n1 == 1:
            return "L"
        if n1 == 3:
            return "N"
        return "S" if len(split(c + "!")) == 2 else "O"  # other joins the punctuation run

    ranges = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # surrogates cannot be in a Rust string
        k = klass(cp)
        if ranges and ranges[-1][2] == k and ranges[-1][1] in (cp - 1, 0xD7FF):
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp, k])
    with open(OUT, "w") as f:
        f.write("# first last class (L letter, N number, S space, O other), from tokenizers' "
                "Llama-3 pre-tokenizer; written by gen_char_classes.py\n")
        for a, b, k in ranges:
            f.write(f"{a:X} {b:X} {k}\n")
    print(f"wrote {OUT}: {len(ranges)} ranges")


if __name__ == "__main__":
    main()
