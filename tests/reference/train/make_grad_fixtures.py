#!/usr/bin/env python3
"""Gradient fixtures for the trainer, computed with torch autograd through Hugging Face
transformers' LlamaForCausalLM.

For each case a tiny random checkpoint is saved with save_pretrained (float32), and grads.safetensors
plus expected.json hold, for a batch of token sequences with per-position weights w[b][i]:
  * loss = -sum_b sum_i w[b][i] * log p(ids[b][i] | ids[b][:i]) and its gradient w.r.t. every
    weight ("grad/<name>"), the pretraining objective;
  * the same loss with every MLP matrix (gate/up/down) replaced by its SVF composition
    W' = U diag(sigma * z * c) V^T, z = sigmoid(p) * max_mult, c = sum(sigma) / sum(sigma * z),
    with U, S, V from torch.linalg.svd (float64, stored float32: "svf/<name>/U" [out, r],
    "svf/<name>/S" [r], "svf/<name>/V" [in, r]), p = 0.1 + 0.01 N(0, 1) ("svf/<name>/p"), and
    d loss / d p ("svf/<name>/grad_p").
Run from the repository root with a Python that has torch, transformers and safetensors:

    python tests/reference/train/make_grad_fixtures.py [--out tests/reference/train/fixtures]
"""
import argparse
import json
import os
import shutil

import torch
import transformers
from safetensors.torch import save_file
from torch.func import functional_call
from transformers import LlamaConfig, LlamaForCausalLM

MAX_MULT = 1.0
SEQS = [9, 5, 12]

CASES = {
    "gqa_untied": dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
                       rope_theta=10000.0),
    "mha_tied_llama3": dict(vocab_size=80, hidden_size=24, intermediate_size=40,
                            num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=3,
                            tie_word_embeddings=True, rope_theta=500000.0,
                            rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                              high_freq_factor=4.0,
                                              original_max_position_embeddings=8)),
}


def weighted_loss(logits, ids, weights):
    # logits [B, L, V] for a padded batch; only the unpadded part of each row is used.
    total = 0.0
    for b, (seq, w) in enumerate(zip(ids, weights)):
        lp = torch.log_softmax(logits[b, : len(seq) - 1].double(), dim=-1)
        tgt = torch.tensor(seq[1:])
        picked = lp[torch.arange(len(seq) - 1), tgt]
        total = total - (torch.tensor(w[1:], dtype=torch.float64) * picked).sum()
    return total


def run_model(model, params, ids):
    # Sequences one at a time (no padding, no attention mask subtleties), logits stacked.
    outs = []
    maxlen = max(len(s) for s in ids)
    for seq in ids:
        out = functional_call(model, params, (torch.tensor([seq]),)).logits[0]
        pad = torch.zeros(maxlen - len(seq), out.shape[-1], dtype=out.dtype)
        outs.append(torch.cat([out, pad]))
    return torch.stack(outs)


def make_case(name, cfg, out_dir):
    torch.manual_seed(4321)
    config = LlamaConfig(**cfg, rms_norm_eps=1e-5, initializer_range=0.2, bos_token_id=1,
                         eos_token_id=2, max_position_embeddings=64)
    model = LlamaForCausalLM(config).float().eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    case_dir = os.path.join(out_dir, name)
    if os.path.exists(case_dir):
        shutil.rmtree(case_dir)
    model.save_pretrained(case_dir, safe_serialization=True)

    g = torch.Generator().manual_seed(99)
    ids = [torch.randint(0, cfg["vocab_size"], (n,), generator=g).tolist() for n in SEQS]
    weights = []
    for n in SEQS:
        w = (torch.rand(n, generator=g) * 2 - 0.5).tolist()
        w[0] = 0.0
        w[2] = 0.0  # a position with weight 0 must contribute nothing
        weights.append(w)

    tensors = {}
    params = {k: v.detach().clone().requires_grad_(True) for k, v in model.named_parameters()}
    loss = weighted_loss(run_model(model, params, ids), ids, weights)
    loss.backward()
    for k, v in params.items():
        tensors["grad/" + k] = v.grad.detach().float().contiguous()

    # SVF on the MLP matrices.
    base = {k: v.detach().clone() for k, v in model.named_parameters()}
    svf = {}
    for k, w in base.items():
        if any(s in k for s in ("gate_proj", "up_proj", "down_proj")):
            u, s, vh = torch.linalg.svd(w.double(), full_matrices=False)
            p = (0.1 + 0.01 * torch.randn(s.shape[0], generator=g)).float()
            svf[k] = dict(U=u.float(), S=s.float(), V=vh.T.float().contiguous(),
                          p=p.clone().requires_grad_(True))
    call_params = dict(base)
    for k, e in svf.items():
        z = torch.sigmoid(e["p"].double()) * MAX_MULT
        sig = e["S"].double()
        c = sig.sum() / (sig * z).sum()
        call_params[k] = (e["U"].double() @ torch.diag(sig * z * c) @ e["V"].double().T).float()
    svf_loss = weighted_loss(run_model(model, call_params, ids), ids, weights)
    svf_loss.backward()
    for k, e in svf.items():
        for part in ("U", "S", "V"):
            tensors[f"svf/{k}/{part}"] = e[part].contiguous()
        tensors[f"svf/{k}/p"] = e["p"].detach().contiguous()
        tensors[f"svf/{k}/grad_p"] = e["p"].grad.detach().float().contiguous()
    save_file(tensors, os.path.join(case_dir, "grads.safetensors"))
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump(dict(ids=ids, weights=weights, loss=loss.item(), svf_loss=svf_loss.item(),
                       max_mult=MAX_MULT, transformers=transformers.__version__,
                       torch=torch.__version__), f)
    print(name, "loss", loss.item(), "svf loss", svf_loss.item(), "tensors", len(tensors))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/reference/train/fixtures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, cfg in CASES.items():
        make_case(name, cfg, args.out)


if __name__ == "__main__":
    main()
