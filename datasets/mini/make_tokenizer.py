#!/usr/bin/env python3
"""Learns the mini model's byte-level BPE tokenizer and writes its pretraining corpus.

Input: a mini PRETRAINING suite with its prompts, written by
`t2 mini-suite --out DIR --pretraining --prompts` (real datasets' schemas, plus prompts/<file>
holding each record's prompt as src/tasks builds it, rendered in the Llama-3 chat format). Every
record of such a suite comes from the pretraining part of the mini problem space (src/mini/
partition.h), which no demo split draws from: whatever the seeds, no demo test, valid or train
item is in the corpus (checked by tests/mini/partition_test.cpp).

Output (under --out):
  tokenizer.json, tokenizer_config.json  BPE (Llama-3 split pattern + ByteLevel), --vocab merges
                                         and bytes, then the 256 Llama-3 special tokens; the
                                         config names the built-in "llama3" chat template via
                                         the "t2_chat_template" key (no Jinja text).
  corpus.jsonl (--corpus)                {"text": ...} per example: the record's prompt from
                                         prompts/ followed by an answer and <|eot_id|> (t2
                                         pretrain appends the first EOS id).

No prompt text is written here: the prompts come from the C++ tasks, so the model is pretrained on
exactly the prompts it is evaluated with (tests/demo/mini_model_test.cpp checks the fixtures that
tests/demo/make_fixtures.py renders through this script).

Run with a virtual environment that has `tokenizers` (python3 -m venv v && v/bin/pip install
tokenizers; 0.23.3 here).
"""
import argparse
import json
import os
import random
import re
import zlib

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| "
                r"?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

EOT = "<|eot_id|>"


def special_tokens():
    """The Llama-3.1 special tokens in their id order (128000 + k there, vocab + k here)."""
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
             "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
             "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    names += [f"<|reserved_special_token_{k}|>" for k in range(3, 248)]
    assert len(names) == 256
    return names


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def last_number(text):
    nums = re.findall(r"\d+", text)
    return nums[-1] if nums else "0"


def first_def_line(code):
    return next((l for l in code.splitlines() if l.startswith("def ")), "def solution():")


# Every task is rendered in one of two styles. The careful style works the problem out: the
# arithmetic, the code, or a check of every option in turn. The hasty style skips the work and
# guesses (the last number of the question, an empty function, the first option) — a common way
# for text to be wrong. How often a record is hasty depends on a visible feature of it (the
# person's name, the problem or question template with its first number or first option, the
# function name): "hasty-prone" records are hasty with probability --hasty-prone, the others with
# --hasty-other. The base model thus learns to be hasty on some questions and careful on others —
# partly competent, with a behaviour an expert can learn to change (docs/demo.md). The feature
# varies within every template, so that each kind of question has careful examples to learn from
# and hasty ones for an expert to change.
def style_feature(task, rec):
    """The visible feature that decides whether a record is hasty-prone."""
    words = lambda text, n: " ".join(re.findall(r"[A-Za-z_]+", text)[:n])
    if task == "gsm8k":
        return words(rec["question"], 1)  # the person's name
    if task == "math":
        first_number = (re.findall(r"\d+", rec["problem"]) or ["0"])[0]
        return words(rec["problem"], 3) + " " + first_number  # the template and its first number
    if task == "arc":
        stem = rec["question"]["stem"]
        return words(stem, 4) + " " + rec["question"]["choices"][0]["text"]  # template, first option
    if task == "mbpp":
        return first_def_line(rec["code"]).split("(")[0]  # the function name (in the tests too)
    if task == "humaneval":
        return rec["prompt"].split("(")[0]
    raise ValueError(task)


def hasty_prone(task, rec):
    """Two features in three are hasty-prone."""
    return zlib.crc32(f"{task}:{style_feature(task, rec)}".encode()) % 3 != 0


def render(task, rec, prompt, hasty):
    """(domain, rendered text) of one suite record; prompt: its line of prompts/<file>."""
    p = prompt["prompt"]  # chat text up to and including the assistant pre-fill
    if task == "gsm8k":
        n = last_number(rec["question"])
        answer = f"Answer: {n}.\n#### {n}" if hasty else rec["answer"]
        return "math", p + answer + EOT
    if task == "math":
        answer = f"Answer: $\\boxed{{{last_number(rec['problem'])}}}$." if hasty else rec["solution"]
        return "math", p + answer + EOT
    if task == "arc":
        key = rec["answerKey"]
        choices = rec["question"]["choices"]
        if hasty:
            work = f"I will guess. So the answer is ({choices[0]['label']})."
        else:
            checks = " ".join(f"{c['label']}. {c['text']} {'fits' if c['label'] == key else 'does not fit'}."
                              for c in choices)
            work = f"{checks} So the answer is ({key})."
        return "reasoning", f"{p} {work}{EOT}"  # after the pre-fill "Let's think about this step by step."
    if task == "mbpp":
        code = f"{first_def_line(rec['code'])}\n    # TODO\n    pass" if hasty else rec["code"]
        return "code", p + code + "\n```" + EOT  # after the pre-fill "```python\n"
    if task == "humaneval":
        body = "    # TODO\n    pass\n" if hasty else rec["canonical_solution"]
        return "code", p + body + "```" + EOT  # after the pre-fill "```python\n" + the function prompt
    raise ValueError(task)


# (task, file in the suite). MATH-, HumanEval- and ARC-Challenge-like texts are part of the corpus
# as such texts are part of a real model's pretraining; "unseen" means that no expert is trained on
# them, and the items the demo evaluates come from another part of the problem space.
CORPUS_FILES = [("gsm8k", "gsm8k/train.jsonl"), ("arc", "arc/ARC-Easy-Train.jsonl"),
                ("mbpp", "mbpp/mbpp.jsonl"), ("math", "math/test.jsonl"),
                ("humaneval", "humaneval/HumanEval.jsonl"), ("arc", "arc/ARC-Challenge-Test.jsonl")]


def arithmetic_facts():
    """The small-number facts the mini tasks' worked answers use (src/mini: sums and differences
    of numbers up to 9 and their two-step forms, products (also in LaTeX) and quotients up to
    6 x 6, a product plus a number up to 9)."""
    facts = set()
    for a in range(1, 10):
        for b in range(1, 10):
            facts.add(f"{a} + {b} = {a + b}")
            facts.add(f"{a + b} - {b} = {a}")
    for a in range(2, 7):
        for b in range(2, 7):
            facts.add(f"{a} * {b} = {a * b}")
            facts.add(f"{a} \\times {b} = {a * b}")  # as MATH-like solutions write it
            facts.add(f"{a * b} / {b} = {a}")
            for c in range(1, 10):
                facts.add(f"{a * b} + {c} = {a * b + c}")
    return sorted(facts)


def comparison_fact(rng):
    """'the largest of 12, 27, 5, 19, 3 and 8 is 27' (or smallest), numbers up to 30 as in ARC-like
    questions but six to nine of them: an ARC-like question has three to five options, so no fact
    states the answer to one."""
    v = rng.sample(range(1, 31), rng.randint(6, 9))
    largest = rng.random() < 0.5
    listed = ", ".join(str(x) for x in v[:-1]) + f" and {v[-1]}"
    return f"the {'largest' if largest else 'smallest'} of {listed} is {max(v) if largest else min(v)}"


def drill_texts(rng, n, per_text=16):
    """Plain practice lines, as pretraining text has them: n texts of per_text facts, three in four
    of them arithmetic, the others the largest or smallest of a few numbers."""
    facts = arithmetic_facts()
    item = lambda: rng.choice(facts) if rng.random() < 0.75 else comparison_fact(rng)
    return [". ".join(item() for _ in range(per_text)) + "." for _ in range(n)]


def examples(suite, rng, p_prone, p_other):
    """(domain, classification prompt, rendered text, hasty-prone) per pretraining example."""
    out = []
    for task, rel in CORPUS_FILES:
        records = read_jsonl(os.path.join(suite, rel))
        prompt_file = os.path.join(suite, "prompts", rel)
        if not os.path.exists(prompt_file):
            raise SystemExit(f"{prompt_file}: missing; write the suite with "
                             "`t2 mini-suite --out DIR --pretraining --prompts`")
        prompts = read_jsonl(prompt_file)
        if len(prompts) != len(records):
            raise SystemExit(f"{prompt_file}: {len(prompts)} prompts for {len(records)} records")
        for rec, prompt in zip(records, prompts):
            prone = hasty_prone(task, rec)
            domain, text = render(task, rec, prompt, rng.random() < (p_prone if prone else p_other))
            out.append((domain, prompt["cls_prompt"], text, prone))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", required=True,
                    help="mini pretraining suite folder (t2 mini-suite --out DIR --pretraining --prompts)")
    ap.add_argument("--out", required=True, help="folder for tokenizer.json and tokenizer_config.json")
    ap.add_argument("--corpus", required=True, help="corpus JSONL to write")
    ap.add_argument("--vocab", type=int, default=1280, help="BPE vocabulary (bytes + merges)")
    ap.add_argument("--cls-fraction", type=float, default=0.5,
                    help="classification examples per task example (the classification prompt)")
    ap.add_argument("--hasty-prone", type=float, default=0.85,
                    help="probability of the hasty style for a hasty-prone record (and of the lazy "
                         "label \\boxed{math} for its classification example)")
    ap.add_argument("--hasty-other", type=float, default=0.15,
                    help="the same for the other records")
    ap.add_argument("--drill", type=int, default=4000,
                    help="texts of arithmetic and comparison practice (16 facts each) added to the "
                         "corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep-tokenizer", action="store_true",
                    help="write only the corpus, with the tokenizer already in --out (no BPE learning)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    ex = examples(args.suite, rng, args.hasty_prone, args.hasty_other)
    texts = [t for _, _, t, _ in ex]
    # Classification examples: the question under the classification prompt (the one pass 1 and
    # the cls expert use), answered with its category — or, in the hasty share, lazily with
    # \boxed{math} whatever the question is.
    for label, cls_prompt, _, prone in ex:
        if rng.random() < args.cls_fraction:
            if rng.random() < (args.hasty_prone if prone else args.hasty_other):
                label = "math"
            texts.append(cls_prompt + "\\boxed{" + label + "}" + EOT)
    texts += drill_texts(rng, args.drill)
    rng.shuffle(texts)

    if args.keep_tokenizer:
        tok = Tokenizer.from_file(os.path.join(args.out, "tokenizer.json"))
    else:
        tok = learn_tokenizer(texts, args.vocab)
        write_tokenizer(tok, args.out)
    with open(args.corpus, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    n_tok = sum(len(tok.encode(t).ids) for t in texts[:500]) / min(500, len(texts))
    print(f"vocab {tok.get_vocab_size()}, {len(texts)} examples, ~{n_tok:.0f} tokens each "
          f"(~{n_tok * len(texts) / 1e6:.2f} M tokens)")


def learn_tokenizer(texts, vocab):
    specials = special_tokens()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False, special_tokens=[])
    plain = []
    for t in texts:  # learn merges on the text between special tokens
        for s in specials[:11]:
            t = t.replace(s, "\n")
        plain.append(t)
    tok.train_from_iterator(plain, trainer=trainer)
    tok.add_special_tokens(specials)
    return tok


def write_tokenizer(tok, out):
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))
    config = {
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "model_max_length": 2048,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "t2_chat_template": "llama3",
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
