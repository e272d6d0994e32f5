#!/usr/bin/env python3
"""GGUF reference fixtures for the CI tests (small, committed), made with the `gguf` package
(llama.cpp's own Python reader/writer) and Hugging Face transformers.

1. quant_blocks.gguf: for each block type t2 dequantizes, a tensor "<type>" holding blocks of that
   type and a tensor "<type>.expected" (F32) with what gguf.quants.dequantize makes of them.
   Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and BF16 blocks come from gguf.quants.quantize of random normal
   values; the K-quants (which the package can only dequantize) are random bytes with finite f16
   super-block scales, so every bit of the packed scales and quants is exercised; F16 is a cast.
2. tiny_tokenizer.gguf: a small byte-level BPE as GGUF metadata (pre-tokenizer smollm, specials
   as control tokens, add_bos false, SmolLM2's chat template), and tiny_tokenizer.expected.json:
   the ids Hugging Face `tokenizers` gives with the same vocabulary, merges and SmolLM2's
   pre-tokenizer (Digits + ByteLevel).
3. tiny_llama_{f32,quant}.gguf: a small random LlamaForCausalLM (GQA 4/2, tied embeddings) written
   as llama.cpp's converter writes Llama checkpoints (q/k rows permuted for its rope, tensor names
   blk.N.*), once all F32 and once with mixed types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16), plus
   tiny_llama_*.expected.json: float32 log-probs of every position of a few sequences from
   transformers loading that same GGUF file (from_pretrained(gguf_file=...), which dequantizes with
   the gguf package and undoes the permutation itself).

Environment (versions used): python 3.11, gguf==0.19.0, numpy 2.x, torch 2.x (CPU),
transformers==5.25.0, accelerate. Run from the repository root:

    python tests/reference/make_gguf_fixtures.py [--out tests/reference/gguf]
"""
import argparse
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

SEED = 1234


def quant_blocks(path):
    rng = np.random.default_rng(SEED)
    w = gguf.GGUFWriter(path, "t2-quant-blocks")
    w.add_string("t2.fixture", "quant blocks and their gguf.quants.dequantize results")
    rows, cols = 3, 512
    for t in [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.BF16]:
        x = (rng.standard_normal((rows, cols)) * 0.05).astype(np.float32)
        x[0, :32] += 0.3  # one block with a large offset (exercises Q4_1/Q5_1's min)
        q = gguf.quants.quantize(x, t)
        add_pair(w, t, q)
    for t in [T.Q4_K, T.Q5_K, T.Q6_K]:
        block, size = gguf.GGML_QUANT_SIZES[t]
        raw = rng.integers(0, 256, size=(rows, cols // block * size), dtype=np.uint8)
        d = (rng.uniform(1e-3, 2e-2, size=(rows, cols // block))).astype(np.float16).view(np.uint8)
        blocks = raw.reshape(rows, cols // block, size)
        if t == T.Q6_K:  # d is the last field
            blocks[:, :, size - 2:] = d.reshape(rows, cols // block, 2)
        else:  # d, dmin first
            dmin = (rng.uniform(1e-3, 2e-2, size=(rows, cols // block))).astype(np.float16)
            blocks[:, :, 0:2] = d.reshape(rows, cols // block, 2)
            blocks[:, :, 2:4] = dmin.view(np.uint8).reshape(rows, cols // block, 2)
        add_pair(w, t, blocks.reshape(rows, -1))
    x = rng.standard_normal((rows, cols)).astype(np.float16)
    add_pair(w, T.F16, x)
    write(w)


def add_pair(w, t, q):
    name = t.name.lower()
    if t in (T.F16,):
        w.add_tensor(name, q)
    else:
        w.add_tensor(name, q, raw_dtype=t)
    w.add_tensor(name + ".expected", gguf.quants.dequantize(q, t).astype(np.float32))


def write(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---- tiny Llama --------------------------------------------------------------------------------

CFG = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
           num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
           max_position_embeddings=128, rope_theta=10000.0, tie_word_embeddings=True,
           initializer_range=0.1, bos_token_id=1, eos_token_id=2)
SEQS = [[1, 17, 200, 35, 4, 99, 123, 7, 64, 250, 3, 18], [1, 5, 5, 5, 211], [9, 8]]

# Types per tensor in the mixed file (rows must be whole blocks: 64 and 128 wide here).
MIXED = {"token_embd": T.Q8_0, "attn_q": T.Q4_0, "attn_k": T.Q4_1, "attn_v": T.Q5_0,
         "attn_output": T.Q5_1, "ffn_gate": T.F16, "ffn_up": T.BF16, "ffn_down": T.Q8_0}


def permute(w, n_head):
    # llama.cpp's converter: within each head, interleave the two rotary halves.
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def tiny_model():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(LlamaConfig(**CFG)).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    return model


def gguf_tensors(model):
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    out = {"token_embd.weight": sd["model.embed_tokens.weight"],
           "output_norm.weight": sd["model.norm.weight"]}
    names = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q",
             "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
             "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
             "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
    for layer in range(CFG["num_hidden_layers"]):
        for hf, gg in names.items():
            x = sd[f"model.layers.{layer}.{hf}.weight"]
            if gg == "attn_q":
                x = permute(x, CFG["num_attention_heads"])
            elif gg == "attn_k":
                x = permute(x, CFG["num_key_value_heads"])
            out[f"blk.{layer}.{gg}.weight"] = x
    return out


def write_tiny(path, tensors, mixed):
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("t2 tiny llama")
    w.add_block_count(CFG["num_hidden_layers"])
    w.add_context_length(CFG["max_position_embeddings"])
    w.add_embedding_length(CFG["hidden_size"])
    w.add_feed_forward_length(CFG["intermediate_size"])
    w.add_head_count(CFG["num_attention_heads"])
    w.add_head_count_kv(CFG["num_key_value_heads"])
    w.add_rope_freq_base(CFG["rope_theta"])
    w.add_layer_norm_rms_eps(CFG["rms_norm_eps"])
    w.add_rope_dimension_count(CFG["hidden_size"] // CFG["num_attention_heads"])
    w.add_vocab_size(CFG["vocab_size"])
    w.add_bos_token_id(CFG["bos_token_id"])
    w.add_eos_token_id(CFG["eos_token_id"])
    for name, x in tensors.items():
        kind = name.split(".")[-2] if name.startswith("blk.") else name.split(".")[0]
        t = MIXED.get(kind) if mixed else None
        if x.ndim == 1 or t is None:
            w.add_tensor(name, x.astype(np.float32))
        elif t == T.F16:
            w.add_tensor(name, x.astype(np.float16))
        else:
            w.add_tensor(name, gguf.quants.quantize(x.astype(np.float32), t), raw_dtype=t)
    write(w)


def expected(gguf_path):
    import torch
    from transformers import AutoModelForCausalLM
    d, f = os.path.split(os.path.abspath(gguf_path))
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    out = []
    with torch.no_grad():
        for seq in SEQS:
            logits = model(torch.tensor([seq])).logits[0].float()
            lp = torch.log_softmax(logits, dim=-1)
            out.append({"ids": seq, "logprobs": lp.tolist()})
    return {"transformers": __import__("transformers").__version__,
            "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0",
            "sequences": out}


# ---- tiny tokenizer -----------------------------------------------------------------------------

TOKENIZER_TEXTS = ["Hello world", "a  1", "x\t\t22 y   333", "the cat sat on the mat 2024",
                   "<|im_start|>user\nhi 42<|im_end|>\n", "caf\u00e9 \u0663\u0664 \u00bd \U0001f642",
                   "I'm  \n\n ok", ""]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
    "{% endif %}")


def tiny_tokenizer(path):
    """A byte-level BPE written as GGUF metadata (pre-tokenizer smollm, add_bos false, SmolLM2's
    chat template) and the ids Hugging Face tokenizers gives with the same vocabulary and merges."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, AddedToken
    from tokenizers.models import BPE
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_char = {b: chr(c) for b, c in zip(bs, cs)}
    tokens = SPECIALS + [byte_char[b] for b in range(256)]
    merges = []
    for word in ["the", "cat", "at", "Hello", "world", "\u0120the", "\u0120c", "\u0120s", "on",
                 "\u0120\u0120"]:
        # merge left to right: ((a b) c) ...
        cur = word[0]
        for ch in word[1:]:
            merges.append((cur, ch))
            if cur + ch not in tokens:
                tokens.append(cur + ch)
            cur = cur + ch
    merges = list(dict.fromkeys(merges))
    types = [3] * len(SPECIALS) + [1] * (len(tokens) - len(SPECIALS))
    w = gguf.GGUFWriter(path, "llama")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges([f"{a} {b}" for a, b in merges])
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(False)
    w.add_chat_template(SMOLLM2_TEMPLATE)
    write(w)
    # smollm as written; "llama3" is what the tests patch the pre-tokenizer name to (same length):
    # the Llama-3 split with ignore_merges, as tokenizers runs Llama 3's tokenizer.json.
    llama3_split = pre_tokenizers.Split(gguf_llama3_regex(), behavior="isolated", invert=False)
    out = []
    for pre, ignore_merges, pt in [
            ("smollm", False, pre_tokenizers.Sequence([
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])),
            ("llama3", True, pre_tokenizers.Sequence([
                llama3_split, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]))]:
        tok = Tokenizer(BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges,
                            ignore_merges=ignore_merges))
        tok.pre_tokenizer = pt
        tok.decoder = decoders.ByteLevel()
        tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS])
        out += [{"pre": pre, "text": t, "ids": tok.encode(t, add_special_tokens=False).ids}
                for t in TOKENIZER_TEXTS]
    return out


def gguf_llama3_regex():
    from tokenizers import Regex
    return Regex(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/reference/gguf")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    quant_blocks(os.path.join(args.out, "quant_blocks.gguf"))
    with open(os.path.join(args.out, "tiny_tokenizer.expected.json"), "w") as fh:
        json.dump(tiny_tokenizer(os.path.join(args.out, "tiny_tokenizer.gguf")), fh)
    tensors = gguf_tensors(tiny_model())
    for tag, mixed in [("f32", False), ("quant", True)]:
        path = os.path.join(args.out, f"tiny_llama_{tag}.gguf")
        write_tiny(path, tensors, mixed)
        with open(os.path.join(args.out, f"tiny_llama_{tag}.expected.json"), "w") as fh:
            json.dump(expected(path), fh)
    print("wrote", sorted(os.listdir(args.out)))


if __name__ == "__main__":
    main()
