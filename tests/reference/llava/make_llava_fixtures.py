#!/usr/bin/env python3
"""Reference images and tiny LLaVA-NeXT checkpoints with their expected outputs, made with PIL and
Hugging Face transformers, for tests/model/llava_*_test.cpp and tests/io/image_test.cpp.

1. images/: real-world-like pictures drawn procedurally (gradients, noise, shapes, a landscape,
   digits), saved as PNG (RGB, RGBA, grey, 1-bit, palette with transparency, 16-bit) and JPEG
   (baseline, progressive, 4:4:4 / 4:2:2 / 4:2:0, grey, CMYK) in assorted sizes and aspect ratios.
   images.json + images.safetensors record, per image, what PIL decodes (after transformers'
   convert_to_rgb) and what LlavaNextImageProcessorPil (the PIL backend: the classic processor)
   makes of it with the real LLaVA-NeXT settings (336 px tiles, CLIP mean/std, default grid
   pinpoints): shapes, exact hashes, per tile-and-channel sums and values at 2048 fixed positions
   (index k * 2654435761 mod N), so the test checks pixels without committing megabytes.
2. llava_next_*/: tiny random LlavaNextForConditionalGeneration checkpoints (save_pretrained, with
   their preprocessor_config.json) covering feature layers (-2, a list [1, -1], -1), select
   strategies (default; full, which transformers can only run up to the projector), grid
   pinpoints, tile sizes, Llama / Mistral language models, tied / untied heads, F32 / BF16, single
   file / shards. expected.json + expected.safetensors hold, for images from images/ and prompts
   with image placeholders: pixel values, per-tile projector outputs, packed image features, the
   placeholder count LlavaNextProcessor expands each image to, logits of every position and a
   greedy continuation (full re-forward per step). Expected numbers are float32 forwards of the
   weights as stored (BF16 checkpoints are loaded back as float32).

Environment (what produced the committed files): Python 3.11, torch 2.15.0 (CPU use only),
transformers 5.25.0, pillow 13.0.0, numpy 2.4.6, safetensors 0.8.0:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers pillow numpy safetensors
Run from the repository root:
    /tmp/venv/bin/python tests/reference/llava/make_llava_fixtures.py [--out tests/reference/llava/fixtures]
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import struct
import types
import zlib

import numpy as np
import PIL
import torch
import transformers
from PIL import Image, ImageDraw
from safetensors.numpy import save_file
from transformers import (CLIPVisionConfig, LlamaConfig, LlavaNextConfig,
                          LlavaNextForConditionalGeneration, MistralConfig)
from transformers.image_transforms import convert_to_rgb
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
from transformers.models.llava_next.processing_llava_next import LlavaNextProcessor

N_SAMPLES = 2048
SAMPLE_STEP = 2654435761


def sample_indices(n, k=N_SAMPLES):
    return [(i * SAMPLE_STEP) % n for i in range(min(k, n))]


# ---- 1. images ------------------------------------------------------------------------------

def grid(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return x / max(w - 1, 1), y / max(h - 1, 1)


def to_u8(a):
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def gradient(w, h, seed):
    rng = np.random.default_rng(seed)
    x, y = grid(w, h)
    c0, c1, c2 = rng.uniform(0, 255, (3, 3))
    img = c0 * (1 - x)[..., None] + c1 * x[..., None]
    img = img * (1 - y)[..., None] * 0.7 + c2 * y[..., None] * 0.7 + 40
    return img


def add_noise(img, seed, amp):
    rng = np.random.default_rng(seed)
    return img + rng.normal(0, amp, img.shape)


def shapes(img, seed, n):
    rng = np.random.default_rng(seed)
    im = Image.fromarray(to_u8(img), "RGB")
    d = ImageDraw.Draw(im)
    w, h = im.size
    for _ in range(n):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(0.05, 0.4) * min(w, h) + 1
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(0, 3)
        if kind == 0:
            d.ellipse([x0, y0, x0 + s, y0 + s * rng.uniform(0.5, 1.5)], fill=col)
        elif kind == 1:
            d.rectangle([x0, y0, x0 + s * rng.uniform(0.5, 2), y0 + s], fill=col)
        else:
            d.polygon([(x0, y0), (x0 + s, y0 + s * 0.3), (x0 + s * 0.4, y0 + s)], fill=col)
    return np.asarray(im).astype(np.float64)


def landscape(w, h, seed):
    rng = np.random.default_rng(seed)
    x, y = grid(w, h)
    sky = np.stack([90 + 100 * y, 150 + 70 * y, 235 - 30 * y], -1)
    img = sky.copy()
    for k, base in enumerate([0.55, 0.7, 0.85]):
        ridge = base + 0.06 * np.sin(x * (6 + 3 * k) + rng.uniform(0, 6)) + 0.03 * np.sin(x * 23 + k)
        col = np.array([40 + 30 * k, 110 - 20 * k, 50 + 10 * k], np.float64)
        img = np.where((y > ridge)[..., None], col + 25 * rng.standard_normal((h, w, 1)), img)
    cx, cy, r = 0.75 * w, 0.25 * h, 0.08 * min(w, h)
    yy, xx = np.mgrid[0:h, 0:w]
    sun = ((xx - cx) ** 2 + (yy - cy) ** 2) < r * r
    img[sun] = [250, 230, 120]
    return img


def digits(w, h, seed):
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (w, h), (245, 242, 230))
    d = ImageDraw.Draw(im)
    for i in range(12):
        d.text((rng.uniform(0, w - 20), rng.uniform(0, h - 12)), str(int(rng.integers(0, 1000))),
               fill=tuple(int(v) for v in rng.integers(0, 120, 3)))
    d.line([(0, h // 2), (w, h // 3)], fill=(200, 30, 30), width=3)
    return np.asarray(im).astype(np.float64)


def png16(path, rgb16):
    """A 16-bit RGB PNG written by hand (PIL cannot save 48-bit RGB)."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def make_images(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    made = []

    def save(name, img, **kw):
        path = os.path.join(out_dir, name)
        img.save(path, **kw)
        made.append(name)

    rgb = lambda a: Image.fromarray(to_u8(a), "RGB")
    save("gradient_640x480.jpg", rgb(add_noise(gradient(640, 480, 1), 2, 4)), quality=85)
    save("shapes_progressive_800x600.jpg",
         rgb(add_noise(shapes(gradient(800, 600, 3), 4, 25), 5, 3)), quality=80, progressive=True)
    save("noise_320x240.jpg", rgb(add_noise(gradient(320, 240, 6), 7, 30)), quality=75)
    save("tall_shapes_200x900.png", rgb(shapes(gradient(200, 900, 8), 9, 30)))
    save("wide_1000x150.jpg", rgb(add_noise(shapes(gradient(1000, 150, 10), 11, 20), 12, 5)), quality=85)
    save("tiny_24x18.png", rgb(add_noise(gradient(24, 18, 13), 14, 20)))
    save("square_336x336.jpg", rgb(shapes(gradient(336, 336, 15), 16, 12)), quality=90)
    save("exact_672x336.png", rgb(shapes(gradient(672, 336, 17), 18, 15)))
    rgba = np.concatenate([to_u8(shapes(gradient(300, 200, 19), 20, 10)),
                           to_u8(255 * grid(300, 200)[0] ** 0.7)[..., None]], -1)
    save("alpha_300x200.png", Image.fromarray(rgba, "RGBA"))
    save("grey_257x193.png", Image.fromarray(to_u8(gradient(257, 193, 21)[..., 1]), "L"))
    save("grey_400x300.jpg", Image.fromarray(to_u8(add_noise(gradient(400, 300, 22), 23, 8)[..., 0]), "L"),
         quality=80)
    pal = rgb(shapes(gradient(350, 260, 24), 25, 14)).quantize(16, dither=Image.Dither.NONE)
    pal.info["transparency"] = 3
    save("palette_trns_350x260.png", pal, transparency=3)
    cmyk = rgb(shapes(gradient(200, 160, 26), 27, 8)).convert("CMYK")
    save("cmyk_200x160.jpg", cmyk, quality=85)
    x, y = grid(120, 90)
    png16(os.path.join(out_dir, "deep16_120x90.png"),
          np.stack([65535 * x, 65535 * y, 30000 + 20000 * x * y], -1).astype(np.uint16))
    made.append("deep16_120x90.png")
    save("bilevel_100x80.png", rgb(shapes(gradient(100, 80, 28), 29, 6)).convert("1"))
    save("landscape_1024x768.jpg", rgb(landscape(1024, 768, 30)), quality=70)
    save("odd_333x501.jpg", rgb(add_noise(shapes(gradient(333, 501, 31), 32, 12), 33, 6)), quality=85)
    save("s444_300x300.jpg", rgb(shapes(gradient(300, 300, 34), 35, 10)), quality=90, subsampling=0)
    save("s422_301x203.jpg", rgb(add_noise(shapes(gradient(301, 203, 36), 37, 9), 38, 4)), quality=85,
         subsampling=1)
    save("speck_3x2.png", rgb(add_noise(gradient(3, 2, 39), 40, 40)))
    save("needle_40x1200.png", rgb(shapes(gradient(40, 1200, 41), 42, 20)))
    save("digits_500x200.png", rgb(digits(500, 200, 43)))
    save("portrait_480x640.jpg", rgb(add_noise(landscape(480, 640, 44), 45, 3)), quality=80)
    return made


def pil_rgb(path):
    """What the processor starts from: PIL's decode and transformers' convert_to_rgb."""
    with Image.open(path) as im:
        im.load()
        return convert_to_rgb(im, return_numpy=True)


def real_processor():
    return LlavaNextImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336})


def image_reference(img_dir, names):
    proc = real_processor()
    meta, tensors = [], {}
    for name in names:
        arr = pil_rgb(os.path.join(img_dir, name))                   # [h, w, 3] uint8
        flat = arr.reshape(-1)
        pv = proc(images=[Image.fromarray(arr)], return_tensors="np")
        px = pv["pixel_values"][0].astype(np.float32)                # [tiles, 3, 336, 336]
        pflat = px.reshape(-1)
        key = os.path.splitext(name)[0]
        tensors[key + ".rgb_samples"] = flat[sample_indices(flat.size)].astype(np.float32)
        tensors[key + ".pixel_samples"] = pflat[sample_indices(pflat.size)]
        tensors[key + ".pixel_sums"] = px.astype(np.float64).sum(axis=(2, 3)).astype(np.float32)
        meta.append(dict(file=name, height=int(arr.shape[0]), width=int(arr.shape[1]),
                         rgb_sha256=hashlib.sha256(arr.tobytes()).hexdigest(),
                         rgb_sums=[int(v) for v in arr.reshape(-1, 3).sum(0, dtype=np.int64)],
                         pixel_shape=list(px.shape),
                         pixel_sha256=hashlib.sha256(px.tobytes()).hexdigest(),
                         image_size=[int(v) for v in pv["image_sizes"][0]]))
    return meta, tensors


# ---- 2. tiny LLaVA-NeXT checkpoints --------------------------------------------------------------

IMG = 150  # image_token_index of every case (inside the vocabulary, as in llava-hf checkpoints)
VOCAB = 160
TEXT = dict(vocab_size=VOCAB, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, initializer_range=0.15,
            bos_token_id=1, eos_token_id=2, max_position_embeddings=1024)


def pinpoints(s, cells):
    return [[s * a, s * b] for a, b in cells]


CASES = {
    # The LLaVA-NeXT default shape in small: layer -2, CLS dropped, the five default grid shapes.
    "llava_next_llama_f32": dict(
        dtype=torch.float32, shard=None, strategy="default", layer=-2, tile=28, patch=7,
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4),
        text=("llama", dict(rope_theta=10000.0)), tie=False,
        pins=pinpoints(28, [(1, 2), (2, 1), (2, 2), (3, 1), (1, 3)]),
        images=["wide_1000x150.jpg", "tall_shapes_200x900.png", "gradient_640x480.jpg",
                "tiny_24x18.png"]),
    # Two feature layers concatenated, exact-erf GELU in the tower, a 1x1 grid choice, llama3 rope,
    # tied head, shards.
    "llava_next_layers_tied_f32_sharded": dict(
        dtype=torch.float32, shard="60KB", strategy="default", layer=[1, -1], tile=32, patch=8,
        vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=4, num_attention_heads=4,
                    hidden_act="gelu"),
        text=("llama", dict(rope_theta=500000.0, rope_scaling=dict(
            rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
            original_max_position_embeddings=64))), tie=True,
        pins=pinpoints(32, [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (1, 3)]),
        images=["square_336x336.jpg", "needle_40x1200.png", "alpha_300x200.png", "odd_333x501.jpg"]),
    # Mistral language model, BF16, last layer, no projector bias, 24 px tiles.
    "llava_next_mistral_bf16_sharded": dict(
        dtype=torch.bfloat16, shard="50KB", strategy="default", layer=-1, tile=24, patch=6,
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2),
        text=("mistral", dict(rope_theta=1000000.0, head_dim=16, sliding_window=None)), tie=False,
        projector_bias=False,
        pins=pinpoints(24, [(1, 2), (2, 1), (2, 2), (3, 1), (1, 3)]),
        images=["landscape_1024x768.jpg", "palette_trns_350x260.png", "speck_3x2.png",
                "cmyk_200x160.jpg"]),
    # The "full" strategy keeps the CLS feature; transformers' packing cannot reshape 17 features
    # per tile into a 4x4 grid, so only pixels and per-tile projector outputs are recorded.
    "llava_next_full_f32": dict(
        dtype=torch.float32, shard=None, strategy="full", layer=-2, tile=28, patch=7,
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4),
        text=("llama", dict(rope_theta=10000.0, num_hidden_layers=1)), tie=False,
        pins=pinpoints(28, [(1, 2), (2, 1), (2, 2)]),
        images=["digits_500x200.png", "grey_400x300.jpg"]),
}

# Prompts: IMG marks where image i (in order) goes; the processor expands each to its feature count.
PROMPTS = [
    [1, 10, 11, IMG, 12, 13, 14],
    [1, IMG, 20, 21, IMG, 22, 23],
    [1, 30, 31, 32, 33],
    [1, 40, 41, IMG],
]
GREEDY_NEW_TOKENS = 6


def make_model(case):
    torch.manual_seed(4321)
    kind, text_extra = case["text"]
    text_cls = LlamaConfig if kind == "llama" else MistralConfig
    text = text_cls(**{**TEXT, **text_extra})
    vision = CLIPVisionConfig(image_size=case["tile"], patch_size=case["patch"], projection_dim=16,
                              initializer_range=0.1, **case["vision"])
    cfg = LlavaNextConfig(vision_config=vision, text_config=text, image_token_index=IMG,
                          image_grid_pinpoints=case["pins"], vision_feature_layer=case["layer"],
                          vision_feature_select_strategy=case["strategy"],
                          multimodal_projector_bias=case.get("projector_bias", True),
                          tie_word_embeddings=case["tie"])
    model = LlavaNextForConditionalGeneration(cfg).eval()
    with torch.no_grad():  # norms start at 1 / 0 and biases at 0: perturb them so each one counts
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias") or "class_embedding" in name:
                p.copy_(0.1 * torch.randn_like(p))
    return model


def placeholder_count(proc, case, h, w):
    """LlavaNextProcessor's own expansion count for an image of h x w (CLIP: one extra CLS token)."""
    ns = types.SimpleNamespace(image_processor=proc, patch_size=case["patch"],
                               num_additional_image_tokens=1)
    ns._get_unpadded_features = types.MethodType(LlavaNextProcessor._get_unpadded_features, ns)
    n = LlavaNextProcessor._get_number_of_features(ns, h, w, case["tile"], case["tile"])
    return n - 1 if case["strategy"] == "default" else n


def tile_features(model, pixel_values, layer, strategy):
    """Projector output per tile, before packing: [tiles, n, text_hidden]."""
    out = model.model.vision_tower(pixel_values, output_hidden_states=True)
    hs = out.hidden_states
    sel = hs[layer] if isinstance(layer, int) else torch.cat([hs[i] for i in layer], dim=-1)
    if strategy == "default":
        sel = sel[:, 1:]
    return model.model.multi_modal_projector(sel)


def make_case(name, case, img_dir, out_root):
    out_dir = os.path.join(out_root, name)
    shutil.rmtree(out_dir, ignore_errors=True)
    model = make_model(case).to(case["dtype"])
    kwargs = dict(max_shard_size=case["shard"]) if case["shard"] else {}
    model.save_pretrained(out_dir, **kwargs)
    proc = LlavaNextImageProcessorPil(size={"shortest_edge": case["tile"]},
                                      crop_size={"height": case["tile"], "width": case["tile"]},
                                      image_grid_pinpoints=case["pins"])
    proc.save_pretrained(out_dir)
    model = LlavaNextForConditionalGeneration.from_pretrained(out_dir, dtype=torch.float32).eval()
    tensors, images = {}, []
    feats = []
    with torch.no_grad():
        for i, file in enumerate(case["images"]):
            arr = pil_rgb(os.path.join(img_dir, file))
            pv = proc(images=[Image.fromarray(arr)], return_tensors="pt")
            px, size = pv["pixel_values"][0].float(), pv["image_sizes"]
            tensors[f"image{i}.pixel_values"] = px.numpy()
            tf = tile_features(model, px, case["layer"], case["strategy"])
            tensors[f"image{i}.tile_features"] = tf.numpy()
            entry = dict(file=file, image_size=[int(v) for v in size[0]], tiles=int(px.shape[0]))
            if case["strategy"] == "default":
                packed = model.model.get_image_features(px[None], size).pooler_output[0]
                tensors[f"image{i}.features"] = packed.numpy()
                entry["n_features"] = int(packed.shape[0])
                entry["n_placeholders"] = placeholder_count(proc, case, *entry["image_size"])
                assert entry["n_placeholders"] == entry["n_features"], (name, file)
                feats.append((px, size, packed.shape[0]))
            images.append(entry)
        prompts = []
        if case["strategy"] == "default":
            next_image = 0
            for p, ids in enumerate(PROMPTS):
                expanded, used = [], []
                for t in ids:
                    if t == IMG:
                        expanded += [IMG] * feats[next_image % len(feats)][2]
                        used.append(next_image % len(feats))
                        next_image += 1
                    else:
                        expanded.append(t)
                pixel = torch.cat([feats[u][0] for u in used]) if used else None
                sizes = torch.cat([feats[u][1] for u in used]) if used else None

                def run(seq):
                    kw = dict(pixel_values=pixel, image_sizes=sizes) if used else {}
                    return model(input_ids=torch.tensor([seq]), **kw).logits[0]

                logits = run(expanded)
                greedy = list(expanded)
                for _ in range(GREEDY_NEW_TOKENS):
                    greedy.append(int(torch.argmax(run(greedy)[-1]).item()))
                tensors[f"prompt{p}.logits"] = logits.float().numpy()
                prompts.append(dict(ids=ids, images=used, expanded_length=len(expanded),
                                    greedy=greedy[len(expanded):]))
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
              os.path.join(out_dir, "expected.safetensors"))
    expected = dict(case=name, transformers_version=transformers.__version__,
                    torch_version=torch.__version__, pillow_version=PIL.__version__,
                    weight_dtype=str(case["dtype"]), image_token_index=IMG,
                    vision_feature_layer=case["layer"], strategy=case["strategy"],
                    images=images, prompts=prompts)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"{name}: {sorted(os.listdir(out_dir))}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/reference/llava/fixtures")
    args = ap.parse_args()
    img_dir = os.path.join(args.out, "images")
    shutil.rmtree(img_dir, ignore_errors=True)
    names = make_images(img_dir)
    meta, tensors = image_reference(img_dir, names)
    save_file(tensors, os.path.join(args.out, "images.safetensors"))
    with open(os.path.join(args.out, "images.json"), "w") as f:
        json.dump(dict(pillow_version=PIL.__version__, transformers_version=transformers.__version__,
                       processor=dict(size=336, crop=336, grid_pinpoints=real_processor().image_grid_pinpoints),
                       samples=N_SAMPLES, sample_step=SAMPLE_STEP, images=meta), f, indent=1)
    print(f"images: {len(names)} files, {sum(os.path.getsize(os.path.join(img_dir, n)) for n in names)} bytes")
    for name, case in CASES.items():
        make_case(name, case, img_dir, args.out)


if __name__ == "__main__":
    main()
