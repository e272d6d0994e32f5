#!/usr/bin/env python3
"""Reference outputs for SmolLM2-135M-Instruct.Q4_1.gguf (scripts/get_smollm2.sh fetches it), for
the `model`-labelled tests in tests/model/smollm2_test.cpp. Three independent references:

1. logprobs.json — Hugging Face transformers loading the GGUF (from_pretrained(gguf_file=...),
   dequantized to float32 by the gguf package): for prompts of 64+ tokens, the log-prob of every
   next token and the 10 most likely tokens with their log-probs at every position.
2. tokenizer.jsonl — token ids of 400+ lines (the shared tokenizer corpora, code, long numbers,
   Unicode digits, whitespace runs, specials). transformers does not know the GGUF's "smollm"
   pre-tokenizer (it falls back to the GPT-2 split, which differs from SmolLM2's own tokenizer when
   whitespace precedes a digit), so the goldens come from Hugging Face `tokenizers` with SmolLM2's
   own tokenizer.json shape built from the GGUF's vocabulary and merges: pre-tokenizer
   Sequence[Digits(individual_digits), ByteLevel(use_regex)], the 17 control tokens as special
   added tokens. Every line is checked against llama.cpp's tokenizer (llama-cpp-python, vocab
   only): the script stops if the two references disagree on a line it keeps. Lines holding a
   byte that the vocabulary lacks (6 control characters) are kept with the `tokenizers` ids only,
   marked "llama_cpp": false (llama.cpp cannot tokenize them; tokenizers drops the byte).
3. chat.jsonl — conversations rendered by transformers' apply_chat_template with the GGUF's Jinja
   chat template (and the plain ChatML template), with and without the generation prompt.

Environment (versions used): python 3.11, torch 2.x CPU, transformers==5.25.0, accelerate,
gguf==0.19.0, tokenizers==0.23.3, jinja2, llama-cpp-python==0.3.36 (builds llama.cpp from source).
Run from the repository root:

    python tests/reference/make_smollm2_fixtures.py [--model datasets/models/...gguf]
"""
import argparse
import json
import os
import random

import numpy as np
from gguf import GGUFReader

OUT = "tests/reference/smollm2"
PLAIN_CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                "{{ '<|im_start|>assistant\\n' }}{% endif %}")


def field(reader, key):
    return reader.fields[key].contents()


def hf_tokenizer(reader):
    from tokenizers import Tokenizer, decoders, pre_tokenizers, AddedToken
    from tokenizers.models import BPE
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(m.split(" ")) for m in field(reader, "tokenizer.ggml.merges")]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])
    return tok


def corpus():
    lines = []
    for vocab in ["llama3", "mistral"]:
        for name in ["golden.jsonl", "golden_split_special.jsonl"]:
            with open(f"../shared/fixtures/tokenizers/{vocab}/{name}") as fh:
                for line in fh:
                    rec = json.loads(line)
                    if "messages" not in rec:
                        lines.append(rec["text"])
    lines += [
        "a  1", "a   12", "x\t3", "  4", "\n\n5 apples", "version 2.0.1-rc3", "1,234,567.89",
        "3.14159265358979323846264338327950288419716939937510", "x = 10**100 + 7",
        "call 555-0100 or +1 (800) 555-0199", "2024-12-31T23:59:59Z", "0x7fffffff 0b1010 1e-9",
        "١٢٣ ٤٥٦", "३४५ and ৬৭", "１２３ full width", "x² + y³ = z⁴", "½ cup, ¾ mile", "Ⅻ o'clock",
        "𝟘𝟙𝟚 math digits", "a 1 b  2 c   3 d\t4 e\n5", "   \t \n  7  ",
        "def f(x):\n    return [i * 2 for i in range(10) if i % 3 == 0]\n",
        "for (int i = 0; i < 100; ++i) {\n\tsum += a[i] * 2;\n}",
        "<|im_start|>user\nWhat is 12 + 30?<|im_end|>\n<|im_start|>assistant\n",
        "<|endoftext|><repo_name>t2<file_sep>main.cpp", "I'm sure they'll say \"we've 3 cats\"",
        "emoji 👍🏽 and 👨‍👩‍👧‍👦 family", "日本語のテキスト 123", "Привет, мир! 2025",
        "ctrl\x04char", "tab\x06x",
    ]
    rng = random.Random(1234)
    pieces = ["1", "22", "333", " ", "  ", "\t", "\n", "a", "Bb", "é", "٣", "½", ".", ",", "-",
              "'s", "__", "(", ")", "x1", "𝟚", "日本", "🙂"]
    for _ in range(120):
        lines.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))))
    # Long runs (numbers and whitespace) stress the split and the merge order.
    lines += ["9" * 200, " " * 50 + "1", "\n" * 30, "a" + "  " * 40 + "b", "12 " * 60]
    seen, out = set(), []
    for line in lines:
        if line not in seen:
            seen.add(line)
            out.append(line)
    return out


def tokenizer_goldens(reader, model_path):
    import llama_cpp
    tok = hf_tokenizer(reader)
    llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    vocab = set(field(reader, "tokenizer.ggml.tokens"))
    out, agree = [], 0
    for text in corpus():
        ids = tok.encode(text, add_special_tokens=False).ids
        rec = {"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
               "llama_cpp": True}
        missing_byte = any(c in text for c in "\x04\x06\x13\x14\x16\x1d")
        if missing_byte:
            rec["llama_cpp"] = False
        else:
            ref = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            if list(ref) != ids:
                raise SystemExit(f"tokenizers and llama.cpp disagree on {text!r}:\n{ids}\n{list(ref)}")
            agree += 1
        out.append(rec)
    print(f"tokenizer: {len(out)} lines, {agree} confirmed by llama.cpp")
    assert len(vocab) > 0
    return out


def chat_goldens(reader):
    from transformers import PreTrainedTokenizerFast
    tmpl = field(reader, "tokenizer.chat_template")
    convs = [
        [{"role": "user", "content": "Hi"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}],
        [{"role": "user", "content": "  spaced  \n"}, {"role": "assistant", "content": "ok"},
         {"role": "user", "content": "again"}],
        [{"role": "system", "content": ""}, {"role": "user", "content": "ünïcödé 🙂"}],
        [{"role": "assistant", "content": "starts with assistant"}],
    ]
    out = []
    for name, text in [("smollm2", tmpl), ("chatml", PLAIN_CHATML)]:
        tok = PreTrainedTokenizerFast(tokenizer_object=hf_tokenizer(reader))
        tok.chat_template = text
        for conv in convs:
            for gen in [False, True]:
                rendered = tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=gen)
                out.append({"template": name, "messages": conv, "add_generation_prompt": gen,
                            "rendered": rendered})
    return out


def logprob_goldens(reader, model_path, tok):
    import torch
    from transformers import AutoModelForCausalLM
    d, f = os.path.split(os.path.abspath(model_path))
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    with open("../shared/datasets/gsm8k/test.jsonl") as fh:
        gsm = [json.loads(next(fh)) for _ in range(2)]
    texts = [
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
        "<|im_end|>\n<|im_start|>user\n" + gsm[0]["question"] + "<|im_end|>\n<|im_start|>assistant\n"
        + gsm[0]["answer"],
        gsm[1]["question"] + "\n" + gsm[1]["answer"],
        "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n"
        "    for _ in range(n):\n        a, b = b, a + b\n    return a\n\n\nprint([fibonacci(i) "
        "for i in range(20)])\n",
        "The mitochondria is the powerhouse of the cell. Photosynthesis converts light energy, "
        "water and carbon dioxide into glucose and oxygen; plants store the energy as starch. "
        "Which of these is a renewable resource: (A) coal (B) wind (C) oil (D) natural gas? "
        "Answer: (B) wind, because it is replenished naturally and will not run out.",
        "Numbers: 12345 67890, 3.14159, 2,718,281; dates 1999-12-31 and 2024-02-29; ١٢٣ and ½. "
        "Whitespace:  a  1\t\tb   2\n\n\nc    3. Unicode: naïve café, 日本語, Привет, emoji 🙂.",
    ]
    out = []
    with torch.no_grad():
        for text in texts:
            ids = tok.encode(text, add_special_tokens=False).ids
            assert len(ids) >= 64, (len(ids), text)
            lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
            top = torch.topk(lp, 10, dim=-1)
            out.append({"text": text, "ids": ids,
                        "next_logprobs": [lp[i, ids[i + 1]].item() for i in range(len(ids) - 1)],
                        "top_ids": top.indices.tolist(), "top_logprobs": top.values.tolist()})
    print("logprobs:", [len(o["ids"]) for o in out], "tokens")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="datasets/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    args = ap.parse_args()
    model_path = os.path.realpath(args.model)
    reader = GGUFReader(model_path)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer.jsonl"), "w") as fh:
        for rec in tokenizer_goldens(reader, model_path):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, "chat.jsonl"), "w") as fh:
        for rec in chat_goldens(reader):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, "logprobs.json"), "w") as fh:
        json.dump({"model": os.path.basename(model_path),
                   "sequences": logprob_goldens(reader, model_path, hf_tokenizer(reader))}, fh)


if __name__ == "__main__":
    main()
