#!/usr/bin/env python3
"""Writes tests/tokenizer/edge_cases.jsonl: edge cases for the C++ tokenizer, with reference ids and
decodes from Hugging Face's `tokenizers` and chat prompts rendered by transformers' own Jinja
renderer. Run from the repository root in a venv with `pip install tokenizers transformers jinja2`:

    /work/venv-tokenizer/bin/python tests/tokenizer/gen_edge_fixtures.py

Line kinds (key "kind"):
  encode   {vocab, variant, text, split_special, ids[, decoded]} encode without BOS, then decode
                                                                  (decoded omitted: equals text)
  decode   {vocab, ids, decoded}                                  decode of hand-picked id runs
  chat     {vocab, template, template_name, bos, eos, messages, add_generation_prompt,
            rendered | error, ids}
"variant" names a tokenizer.json patched as in patch_variant() (the C++ test patches the same way).
"""
import copy
import json
import os
import random

from tokenizers import Tokenizer
from transformers.utils.chat_template_utils import render_jinja_template

FIX = "../shared/fixtures/tokenizers"
OUT = "tests/tokenizer/edge_cases.jsonl"

# Mistral Instruct chat templates as published in the checkpoints' tokenizer_config.json.
MISTRAL_V01 = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
               "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
               "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
               "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == "
               "'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception("
               "'Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
MISTRAL_V02 = MISTRAL_V01.replace("eos_token + ' ' }}", "eos_token}}")


def patch_variant(tj, variant):
    """Variants of the fixture tokenizers that exercise other pre-tokenizer/decoder options."""
    tj = copy.deepcopy(tj)
    if variant == "base":
        pass
    elif variant == "gpt2_regex":  # ByteLevel with its own (GPT-2) split pattern
        tj["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                               "use_regex": True}
    elif variant == "gpt2_regex_prefix":
        tj["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                               "use_regex": True}
    elif variant in ("metaspace_first", "metaspace_always_split"):
        first = variant == "metaspace_first"
        tj["normalizer"] = None
        tj["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581",
                               "prepend_scheme": "first" if first else "always",
                               "split": not first}
        tj["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    elif variant == "digits_gpt2":  # SmolLM / StarCoder: each digit alone, then the GPT-2 split
        tj["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": True}]}
    elif variant == "strip_options":  # lstrip / rstrip / single_word on three specials
        for t in tj["added_tokens"]:
            if t["content"] == "<|eot_id|>":
                t["lstrip"] = True
            elif t["content"] == "<|start_header_id|>":
                t["rstrip"] = True
            elif t["content"] == "<|end_header_id|>":
                t["single_word"] = True
    else:
        raise ValueError(variant)
    return tj


TEXTS = [
    "", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \n ", "a \n\n b", "x\t\t\ty", "end   ",
    " " * 40 + "x", " " * 2000, "\u3000\u3000full width\u3000spaces", "nbsp\u00a0\u00a0here",
    "line\u2028sep\u2029para", "\x0b\x0cvt ff", "\x1c\x1d\x1e\x1f separators",
    "1", "12", "123", "1234", "1234567", "9" * 100, "3.14159265358979", "1,234,567.89",
    "-42 +17 1e-9 0x1F", "\u0661\u0662\u0663\u0664\u0665", "\uff11\uff12\uff13\uff14",
    "x\u00b2 + y\u00b3 = \u00bd", "\u216b\u2167 roman", "\u2460\u2461\u2462 circled",
    "I'm you're we've they'll he'd it's can't", "I'M YOU'RE WE'VE THEY'LL HE'D IT'S",
    "O'Neil's", "'s 't 're", "rock 'n' roll", "\u2019s curly \u2018quote\u2019", "'\u017f long s",
    "hello\u0301 e\u0301 n\u0303", "\U0001F600", "\U0001F44D\U0001F3FD", "\U0001F468\u200d\U0001F469\u200d\U0001F467",
    "\U0001F1EB\U0001F1F7 flag", "\u2764\ufe0f love", "emoji\U0001F525run\U0001F525\U0001F525",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01", "\u6f22\u5b57" * 50, "\u3053\u3093\u306b\u3061\u306f\u30ab\u30bf\u30ab\u30ca",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8", "\U00020000\U0002A6D6 ext B",
    "\U0001D518\U0001D52B\U0001D526\U0001D520\U0001D52C\U0001D521\U0001D522", "\ua66e", "\ue000 private",
    "\U0010FFFF last", "\x00 nul \x01 soh \x7f del", "\u0085 nel", "tab\there",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea", "\u0939\u093f\u0928\u094d\u0926\u0940",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22", "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8",
    "def f(x):\n    return x**2\n\n\n", "if (a && b) { c++; }\r\n",
    "<|eot_id|><|eot_id|>", "<|eot_id", "a<|start_header_id|>b", "<|begin_of_text|> hi",
    "<|python_tag|><|eom_id|>", "<s><s>", "a</s>b", "</s>", "x <unk> y", "<s>  two spaces",
    "\u2581", "\u2581\u2581lead", "a\u2581b", "\u2581 mixed \u2581",
    "x  <|eot_id|>  y", "\u3000\t<|eot_id|>", "a <|start_header_id|> \u3000\n b",
    "word<|end_header_id|>word", "word <|end_header_id|> word", "<|end_header_id|>x",
    "<|eot_id|> <|eot_id|>", " <|start_header_id|>  <|eot_id|>",
    "The answer is \\boxed{42}.", "$\\frac{1}{2}$ and $x^2$",
    "Mixed 123abc\u4e2d\u658745\U0001F600!?\n\tEnd",
]



def random_texts(n, seed=1234):
    """Seeded random strings over a mix of scripts, digits, spaces and punctuation: long words
    and odd neighbours that stress the split scanner and the BPE merge order."""
    rng = random.Random(seed)
    pools = ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
             " ", "  \t\n\r", ".,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`", "\u00e9\u00fc\u00f1\u00e7\u00df",
             "\u4f60\u597d\u4e16\u754c\u6f22\u5b57", "\u3042\u3044\u3046\u30ab\u30bf",
             "\u0430\u0431\u0432\u0433\u0434", "\u03b1\u03b2\u03b3\u03b4",
             "\U0001F600\U0001F525\u2764\ufe0f\u200d", "\u0301\u0303\u0308", "\u2581",
             "\u00a0\u3000\u2009", "\u0661\u0662\u00b2\u2167"]
    out = []
    for i in range(n):
        length = rng.choice([5, 20, 80, 300, 600])
        weights = [rng.random() for _ in pools]
        out.append("".join(rng.choice(rng.choices(pools, weights)[0]) for _ in range(length)))
    return out


def gsm8k_texts(n):
    """The first n GSM8K training records (question + answer), real-size prose with numbers."""
    path = "../shared/datasets/gsm8k/train.jsonl"
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            j = json.loads(line)
            out.append(j["question"] + "\n" + j["answer"])
            if len(out) == n:
                break
    return out


TEXTS += random_texts(40) + gsm8k_texts(8)
# Whitespace before digits: where a digits-first split differs from the GPT-2 split.
TEXTS += ["a  1", "x\t\t22 y   333", " 7", "\n\n8\n", "\u0663  \u0664\u0665", "v2  .0  x\u00b2  \u00bd"]

# Id runs whose decode needs care: byte tokens that do not form whole characters.
LLAMA3_DECODE = [[9468], [9468, 239], [9468, 239, 222], [9468, 239, 222, 9468], [15722],
                 [128000, 9906, 128009], [55, 9468, 16], [239, 239, 239]]
MISTRAL_DECODE = [[1], [1, 22557], [22557, 28705, 28705], [28705], [243], [243, 191],
                  [243, 191, 151, 131], [228, 189, 163], [2, 28705, 1024], [1, 2, 0]]



def byte_runs(tj, vocab, n=40, seed=99):
    """Seeded runs of single-byte tokens (byte-level alphabet chars for Llama 3, <0xNN> for
    Mistral), biased towards UTF-8 lead and continuation bytes: the reference's lossy UTF-8
    repair (one U+FFFD per maximal ill-formed subpart, or per byte in ByteFallback) is the oracle."""
    rng = random.Random(seed)
    byte_to_char = {}
    nxt = 256
    for b in range(256):
        printable = 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or b >= 0xAE
        byte_to_char[b] = chr(b) if printable else chr(nxt)
        nxt += 0 if printable else 1
    vocab_map = tj["model"]["vocab"]
    def token_id(b):
        return vocab_map[byte_to_char[b]] if vocab == "llama3" else vocab_map["<0x%02X>" % b]
    choices = [range(0x20, 0x7F), range(0x80, 0xC0), range(0xC0, 0xE0), range(0xE0, 0xF0),
               range(0xF0, 0xF8), range(0xF8, 0x100)]
    runs = []
    for _ in range(n):
        k = rng.randint(1, 10)
        runs.append([token_id(rng.choice(rng.choice(choices))) for _ in range(k)])
    # Whole characters split over byte tokens, cut at every length.
    for text in ("\u00e9", "\u20ac", "\U0001F600"):
        raw = text.encode()
        for cut in range(1, len(raw) + 1):
            runs.append([token_id(b) for b in raw[:cut]])
    return runs


CHATS = [
    ([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}], True),
    ([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}], False),
    ([{"role": "user", "content": "Hi"}], True),
    ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
      {"role": "user", "content": " again \n"}], True),
    ([{"role": "user", "content": "Q"}, {"role": "assistant", "content": " A "}], False),
    ([{"role": "user", "content": "\u3000\x1c padded\u2003\n"}], True),
    ([{"role": "user", "content": ""}], True),
    ([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}], True),
    ([{"role": "assistant", "content": "first"}], False),
    ([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], False),
    ([{"role": "user", "content": "Write <|eot_id|> literally"}], True),
]


def main():
    files = {v: json.load(open(f"{FIX}/{v}/tokenizer.json")) for v in ("llama3", "mistral")}
    lines = []
    plans = [("llama3", "base"), ("mistral", "base"), ("llama3", "gpt2_regex"),
             ("llama3", "gpt2_regex_prefix"), ("mistral", "metaspace_first"),
             ("mistral", "metaspace_always_split"), ("llama3", "strip_options"),
             ("llama3", "digits_gpt2")]
    for vocab, variant in plans:
        tok = Tokenizer.from_str(json.dumps(patch_variant(files[vocab], variant)))
        for split in (False, True):
            tok.encode_special_tokens = split
            for text in TEXTS:
                if split and not any(s in text for s in ("<|", "<s>", "</s>", "<unk>")):
                    continue
                if variant == "strip_options" and "<|" not in text:
                    continue
                ids = tok.encode(text, add_special_tokens=False).ids
                line = {"kind": "encode", "vocab": vocab, "variant": variant, "text": text,
                        "split_special": split, "ids": ids}
                decoded = tok.decode(ids, skip_special_tokens=False)
                if decoded != text:  # "decoded" is left out when it equals "text"
                    line["decoded"] = decoded
                lines.append(line)
    for vocab, runs in (("llama3", LLAMA3_DECODE + byte_runs(files["llama3"], "llama3")),
                        ("mistral", MISTRAL_DECODE + byte_runs(files["mistral"], "mistral"))):
        tok = Tokenizer.from_file(f"{FIX}/{vocab}/tokenizer.json")
        for ids in runs:
            lines.append({"kind": "decode", "vocab": vocab, "ids": ids,
                          "decoded": tok.decode(ids, skip_special_tokens=False)})

    llama_cfg = json.load(open(f"{FIX}/llama3/tokenizer_config.json"))
    templates = [("llama3", "llama3", llama_cfg["chat_template"], "<|begin_of_text|>", "<|eot_id|>"),
                 ("mistral", "mistral-v0.1", MISTRAL_V01, "<s>", "</s>"),
                 ("mistral", "mistral-v0.2", MISTRAL_V02, "<s>", "</s>")]
    for vocab, name, template, bos, eos in templates:
        tok = Tokenizer.from_file(f"{FIX}/{vocab}/tokenizer.json")
        for messages, gen in CHATS:
            line = {"kind": "chat", "vocab": vocab, "template_name": name, "template": template,
                    "bos": bos, "eos": eos, "messages": messages, "add_generation_prompt": gen}
            try:
                rendered, _ = render_jinja_template(conversations=[messages], chat_template=template,
                                                    add_generation_prompt=gen, bos_token=bos,
                                                    eos_token=eos)
                line["rendered"] = rendered[0]
                line["ids"] = tok.encode(rendered[0], add_special_tokens=False).ids
            except Exception as e:  # the template raised: the C++ renderer must refuse too
                line["error"] = str(e)
            lines.append(line)

    with open(OUT, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    kinds = {}
    for line in lines:
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
    print(f"wrote {OUT}: {len(lines)} lines {kinds} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
