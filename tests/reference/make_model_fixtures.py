#!/usr/bin/env python3
"""Builds the tiny reference checkpoints and their expected outputs with Hugging Face transformers.

Each case is a randomly initialised LlamaForCausalLM or MistralForCausalLM saved with
save_pretrained (single file or sharded through a small max_shard_size), plus expected.json with,
for a batch of token sequences of different lengths, the float32 logits of every position, the
teacher-forced log-probabilities log p(ids[i] | ids[:i]) and a greedy continuation
(argmax, re-running the full forward each step). Expected values always come from a float32 forward of the weights exactly as
stored (BF16/F16 checkpoints are loaded back as float32), so the C++ engine is compared on the same
numbers. Run from the repository root with a Python that has torch, transformers and safetensors:

    python tests/reference/make_model_fixtures.py [--out tests/reference/fixtures]
"""
import argparse
import json
import os
import shutil

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

VOCAB = 160
SEQ_LENGTHS = [7, 19, 3, 12]   # a batch of different lengths; 3 is shorter than any head count
GREEDY_NEW_TOKENS = 10

COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=136, num_hidden_layers=2,
              rms_norm_eps=1e-5, initializer_range=0.15, bos_token_id=1, eos_token_id=2,
              max_position_embeddings=256)

CASES = {
    # Llama-3.x style: GQA, llama3 rope scaling (original context small so the scaling matters),
    # tied head, F32, one file.
    "llama3_gqa_tied_f32": dict(
        arch="llama", dtype=torch.float32, shard=None,
        cfg=dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                 rope_theta=500000.0,
                 rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                   high_freq_factor=4.0, original_max_position_embeddings=32),
                 eos_token_id=[2, 3])),
    # Llama-2 style: MHA, no rope scaling, untied head, F32, sharded with an index.
    "llama2_mha_untied_f32_sharded": dict(
        arch="llama", dtype=torch.float32, shard="60KB",
        cfg=dict(num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=False,
                 rope_theta=10000.0)),
    # BF16 weights, GQA, llama3 scaling, untied, sharded.
    "llama3_gqa_untied_bf16_sharded": dict(
        arch="llama", dtype=torch.bfloat16, shard="40KB",
        cfg=dict(num_attention_heads=8, num_key_value_heads=2, tie_word_embeddings=False,
                 rope_theta=500000.0,
                 rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0,
                                   high_freq_factor=4.0, original_max_position_embeddings=16))),
    # Mistral: GQA with an explicit head_dim different from hidden/heads, F16 weights.
    "mistral_gqa_headdim_f16": dict(
        arch="mistral", dtype=torch.float16, shard=None,
        cfg=dict(num_attention_heads=4, num_key_value_heads=1, head_dim=24,
                 tie_word_embeddings=False, rope_theta=1000000.0, sliding_window=None)),
}


def make_model(case):
    torch.manual_seed(1234)
    if case["arch"] == "llama":
        config = LlamaConfig(**{**COMMON, **case["cfg"]})
        model = LlamaForCausalLM(config)
    else:
        config = MistralConfig(**{**COMMON, **case["cfg"]})
        model = MistralForCausalLM(config)
    # Norm weights start at 1 in Hugging Face; perturb them so a missing or misplaced norm shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    return model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/reference/fixtures")
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(99)
    sequences = [torch.randint(0, VOCAB, (n,), generator=gen).tolist() for n in SEQ_LENGTHS]
    for name, case in CASES.items():
        out_dir = os.path.join(args.out, name)
        shutil.rmtree(out_dir, ignore_errors=True)
        model = make_model(case).to(case["dtype"])
        kwargs = dict(safe_serialization=True)
        if case["shard"]:
            kwargs["max_shard_size"] = case["shard"]
        model.save_pretrained(out_dir, **kwargs)
        # Reference numerics: float32 on the weights exactly as stored, loaded back by transformers
        # (a fresh float32 model, so buffers such as RoPE's inv_freq are not rounded to 16 bits).
        cls = LlamaForCausalLM if case["arch"] == "llama" else MistralForCausalLM
        model = cls.from_pretrained(out_dir, dtype=torch.float32).eval()
        results = []
        with torch.no_grad():
            for ids in sequences:
                x = torch.tensor([ids])
                logits = model(x).logits[0].float()
                lp = torch.log_softmax(logits, dim=-1)
                token_lp = [lp[i - 1, ids[i]].item() for i in range(1, len(ids))]
                # Greedy continuation by full re-forward each step (no cache, no eos handling).
                greedy = list(ids)
                for _ in range(GREEDY_NEW_TOKENS):
                    step = model(torch.tensor([greedy])).logits[0, -1]
                    greedy.append(int(torch.argmax(step).item()))
                results.append(dict(ids=ids,
                                    logits=[[round(v, 6) for v in row] for row in logits.tolist()],
                                    logprobs=[round(v, 7) for v in token_lp],
                                    greedy=greedy[len(ids):]))
        expected = dict(case=name, transformers_version=transformers.__version__,
                        torch_version=torch.__version__, weight_dtype=str(case["dtype"]),
                        sequences=results)
        with open(os.path.join(out_dir, "expected.json"), "w") as f:
            json.dump(expected, f, separators=(",", ":"))
        # generation_config.json is not needed by the tests; keep the fixture minimal but real.
        print(f"{name}: {sorted(os.listdir(out_dir))}")


if __name__ == "__main__":
    main()
