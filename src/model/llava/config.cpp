// LLaVA-NeXT config.json / preprocessor_config.json parsing (see config.h).
#include "model/llava/config.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "io/jsonl.h"  // parse_json
#include "model/config_fields.h"

namespace t2::model::llava {

namespace {

using json = nlohmann::json;

json parse_object(const std::string& text, const std::string& source) {
  json j = io::parse_json(text, source);
  T2_CHECK(j.is_object(), "%s: expected a JSON object", source.c_str());
  return j;
}

// An optional integer key.
int64_t opt_int(const json& j, const char* key, const std::string& source, int64_t fallback) {
  return get_int(j, key, source, false, fallback);
}

// text_config with transformers' class defaults for the keys llava-hf configs leave out (they
// store only what differs from LlamaConfig() / MistralConfig()).
std::string complete_text_config(json t, const std::string& source) {
  const std::string type = get_str(t, "model_type", source + " text_config", "llama");
  T2_CHECK(type == "llama" || type == "mistral",
           "%s: text_config model_type \"%s\" is not supported (llama or mistral)", source.c_str(),
           type.c_str());
  t["model_type"] = type;
  const bool mistral = type == "mistral";
  const json defaults = {{"vocab_size", 32000},
                         {"hidden_size", 4096},
                         {"intermediate_size", mistral ? 14336 : 11008},
                         {"num_hidden_layers", 32},
                         {"num_attention_heads", 32},
                         {"max_position_embeddings", mistral ? 131072 : 2048},
                         {"rms_norm_eps", 1e-6},
                         {"bos_token_id", 1},
                         {"eos_token_id", 2}};
  for (const auto& [k, v] : defaults.items())
    if (!t.contains(k)) t[k] = v;
  if (mistral && !t.contains("num_key_value_heads")) t["num_key_value_heads"] = 8;
  if (mistral && !t.contains("sliding_window")) t["sliding_window"] = 4096;
  return t.dump();
}

VisionConfig parse_vision(const json& top, const std::string& source) {
  VisionConfig v;
  if (!top.contains("vision_config") || top["vision_config"].is_null()) return v;  // CLIP-L/336
  const json& j = top["vision_config"];
  const std::string src = source + " vision_config";
  T2_CHECK(j.is_object(), "%s: expected an object", src.c_str());
  const std::string type = get_str(j, "model_type", src, "clip_vision_model");
  T2_CHECK(type == "clip_vision_model",
           "%s: model_type \"%s\" is not supported; t2 runs CLIP vision towers "
           "(clip_vision_model), as LLaVA-NeXT uses", src.c_str(), type.c_str());
  // CLIPVisionConfig's class defaults apply to keys a given vision_config leaves out.
  v.n_embd = opt_int(j, "hidden_size", src, 768);
  v.n_ff = opt_int(j, "intermediate_size", src, 3072);
  v.n_layer = opt_int(j, "num_hidden_layers", src, 12);
  v.n_head = opt_int(j, "num_attention_heads", src, 12);
  v.image_size = opt_int(j, "image_size", src, 224);
  v.patch_size = opt_int(j, "patch_size", src, 32);
  v.layer_norm_eps = get_num(j, "layer_norm_eps", src, 1e-5);
  v.act = parse_activation(get_str(j, "hidden_act", src, "quick_gelu"), src, "hidden_act");
  T2_CHECK(opt_int(j, "num_channels", src, 3) == 3, "%s: num_channels must be 3 (RGB)", src.c_str());
  T2_CHECK(v.n_embd > 0 && v.n_ff > 0 && v.n_layer > 0 && v.n_head > 0 && v.image_size > 0 &&
               v.patch_size > 0,
           "%s: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, image_size "
           "and patch_size must be positive", src.c_str());
  T2_CHECK(v.n_embd % v.n_head == 0, "%s: hidden_size (%lld) is not divisible by "
           "num_attention_heads (%lld)", src.c_str(), static_cast<long long>(v.n_embd),
           static_cast<long long>(v.n_head));
  T2_CHECK(v.image_size % v.patch_size == 0, "%s: image_size (%lld) is not a multiple of "
           "patch_size (%lld)", src.c_str(), static_cast<long long>(v.image_size),
           static_cast<long long>(v.patch_size));
  return v;
}

std::vector<Resolution> parse_pinpoints(const json& j, const std::string& source) {
  T2_CHECK(j.is_array() && !j.empty(),
           "%s: \"image_grid_pinpoints\" must be a non-empty list of [height, width] pairs",
           source.c_str());
  std::vector<Resolution> out;
  for (const auto& p : j) {
    T2_CHECK(p.is_array() && p.size() == 2 && p[0].is_number_integer() &&
                 p[1].is_number_integer() && p[0].get<int64_t>() > 0 && p[1].get<int64_t>() > 0,
             "%s: \"image_grid_pinpoints\" entry %s is not a [height, width] pair of positive "
             "integers", source.c_str(), p.dump().c_str());
    out.push_back({p[0].get<int64_t>(), p[1].get<int64_t>()});
  }
  return out;
}

// size / crop_size objects: {"shortest_edge": n} or {"height": h, "width": w}.
void parse_processor(const json& j, const std::string& src, ImageProcessorConfig& p) {
  p.do_resize = get_bool(j, "do_resize", src, p.do_resize);
  p.do_center_crop = get_bool(j, "do_center_crop", src, p.do_center_crop);
  p.do_rescale = get_bool(j, "do_rescale", src, p.do_rescale);
  p.do_normalize = get_bool(j, "do_normalize", src, p.do_normalize);
  p.rescale_factor = get_num(j, "rescale_factor", src, p.rescale_factor);
  if (j.contains("size") && !j["size"].is_null()) {
    const json& s = j["size"];
    if (s.is_number_integer()) {
      p.size_shortest_edge = s.get<int64_t>();
    } else {
      T2_CHECK(s.is_object(), "%s: \"size\" must be an object", src.c_str());
      p.size_shortest_edge = opt_int(s, "shortest_edge", src, 0);
      p.size_height = opt_int(s, "height", src, 0);
      p.size_width = opt_int(s, "width", src, 0);
    }
    T2_CHECK(p.size_shortest_edge > 0 || (p.size_height > 0 && p.size_width > 0),
             "%s: \"size\" needs \"shortest_edge\" or \"height\" and \"width\" (positive)",
             src.c_str());
  }
  if (j.contains("crop_size") && !j["crop_size"].is_null()) {
    const json& c = j["crop_size"];
    if (c.is_number_integer()) {
      p.crop_height = p.crop_width = c.get<int64_t>();
    } else {
      T2_CHECK(c.is_object(), "%s: \"crop_size\" must be an object", src.c_str());
      p.crop_height = opt_int(c, "height", src, 0);
      p.crop_width = opt_int(c, "width", src, 0);
    }
  }
  for (const char* key : {"image_mean", "image_std"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    const json& v = j[key];
    T2_CHECK(v.is_array() && v.size() == 3 && std::all_of(v.begin(), v.end(), [](const json& e) {
               return e.is_number();
             }), "%s: \"%s\" must be a list of 3 numbers", src.c_str(), key);
    auto& dst = std::string(key) == "image_mean" ? p.image_mean : p.image_std;
    for (int c = 0; c < 3; ++c) dst[c] = static_cast<float>(v[c].get<double>());
  }
  for (float s : p.image_std) T2_CHECK(s > 0, "%s: \"image_std\" values must be positive", src.c_str());
  if (j.contains("resample") && !j["resample"].is_null()) {
    const int64_t r = opt_int(j, "resample", src, 3);
    T2_CHECK(r == 1 || r == 2 || r == 3,
             "%s: \"resample\" %lld is not supported (1 LANCZOS, 2 BILINEAR, 3 BICUBIC)",
             src.c_str(), static_cast<long long>(r));
    p.resample = r == 1 ? Resample::lanczos : r == 2 ? Resample::bilinear : Resample::bicubic;
  }
  if (j.contains("image_grid_pinpoints") && !j["image_grid_pinpoints"].is_null())
    p.grid_pinpoints = parse_pinpoints(j["image_grid_pinpoints"], src);
}

}  // namespace

Resolution ImageProcessorConfig::base_size() const {
  if (size_height > 0 && size_width > 0) return {size_height, size_width};
  return {size_shortest_edge, size_shortest_edge};
}

int64_t LlavaConfig::n_vision_layers_used() const {
  return *std::max_element(feature_layers.begin(), feature_layers.end());
}

int64_t LlavaConfig::n_tile_features() const {
  return vision.n_patches() + (select == FeatureSelect::full ? 1 : 0);
}

Activation parse_activation(const std::string& name, const std::string& source, const char* key) {
  if (name == "gelu") return Activation::gelu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new") return Activation::gelu_tanh;
  if (name == "quick_gelu") return Activation::quick_gelu;
  T2_FAIL("%s: %s \"%s\" is not supported (gelu, gelu_pytorch_tanh, gelu_new, quick_gelu)",
          source.c_str(), key, name.c_str());
}

LlavaConfig parse_llava_config(const std::string& config_json, const std::string& source,
                               const std::string& processor_json,
                               const std::string& processor_source) {
  const json j = parse_object(config_json, source);
  std::string arch;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
    arch = j["architectures"][0].get<std::string>();
  const std::string type = get_str(j, "model_type", source, "");
  T2_CHECK(type == "llava_next" || arch == "LlavaNextForConditionalGeneration",
           "%s: not a LLaVA-NeXT checkpoint (architecture \"%s\", model_type \"%s\"; expected "
           "LlavaNextForConditionalGeneration / llava_next)", source.c_str(), arch.c_str(),
           type.c_str());
  LlavaConfig c;
  json text = j.contains("text_config") && j["text_config"].is_object() ? j["text_config"] : json::object();
  // The top-level tie_word_embeddings decides whether lm_head is the embedding table.
  text["tie_word_embeddings"] = get_bool(j, "tie_word_embeddings", source, false);
  c.text = parse_llama_config(complete_text_config(text, source), source + " text_config");
  c.vision = parse_vision(j, source);

  // image_token_index (image_token_id in some versions)
  c.image_token_id = static_cast<int32_t>(
      opt_int(j, "image_token_index", source, opt_int(j, "image_token_id", source, 32000)));
  T2_CHECK(c.image_token_id >= 0 && c.image_token_id < c.text.n_vocab,
           "%s: image_token_index %d is outside the language model's vocabulary (%lld)",
           source.c_str(), c.image_token_id, static_cast<long long>(c.text.n_vocab));
  c.projector_act = parse_activation(get_str(j, "projector_hidden_act", source, "gelu"), source,
                                     "projector_hidden_act");
  c.projector_bias = get_bool(j, "multimodal_projector_bias", source, true);
  const std::string select = get_str(j, "vision_feature_select_strategy", source, "default");
  T2_CHECK(select == "default" || select == "full",
           "%s: vision_feature_select_strategy \"%s\" must be \"default\" or \"full\"",
           source.c_str(), select.c_str());
  c.select = select == "full" ? FeatureSelect::full : FeatureSelect::default_;

  // vision_feature_layer: an index into hidden_states (n_layer + 1 entries; negative from the end)
  // or a list of them, whose states are concatenated.
  std::vector<int64_t> layers;
  const json fl = j.contains("vision_feature_layer") ? j["vision_feature_layer"] : json(-2);
  if (fl.is_number_integer()) {
    layers.push_back(fl.get<int64_t>());
  } else {
    T2_CHECK(fl.is_array() && !fl.empty(),
             "%s: vision_feature_layer must be an integer or a non-empty list of integers",
             source.c_str());
    for (const auto& e : fl) {
      T2_CHECK(e.is_number_integer(), "%s: vision_feature_layer entries must be integers",
               source.c_str());
      layers.push_back(e.get<int64_t>());
    }
  }
  const int64_t n_states = c.vision.n_layer + 1;
  for (int64_t l : layers) {
    const int64_t k = l < 0 ? l + n_states : l;
    T2_CHECK(k >= 0 && k < n_states,
             "%s: vision_feature_layer %lld is outside the %lld hidden states of a %lld-layer "
             "vision tower", source.c_str(), static_cast<long long>(l),
             static_cast<long long>(n_states), static_cast<long long>(c.vision.n_layer));
    c.feature_layers.push_back(k);
  }

  c.grid_pinpoints = j.contains("image_grid_pinpoints") && !j["image_grid_pinpoints"].is_null()
                         ? parse_pinpoints(j["image_grid_pinpoints"], source)
                         : std::vector<Resolution>{{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};

  // Processor: defaults sized to the tower's tiles, then preprocessor_config.json.
  ImageProcessorConfig& p = c.image;
  p.size_shortest_edge = c.vision.image_size;
  p.crop_height = p.crop_width = c.vision.image_size;
  p.grid_pinpoints = c.grid_pinpoints;
  if (!processor_json.empty()) parse_processor(parse_object(processor_json, processor_source), processor_source, p);
  const std::string& ps = processor_json.empty() ? source : processor_source;
  T2_CHECK(p.crop_height == c.vision.image_size && p.crop_width == c.vision.image_size,
           "%s: crop_size %lld x %lld differs from the vision tower's image_size %lld; tiles must "
           "be the tower's input size", ps.c_str(), static_cast<long long>(p.crop_height),
           static_cast<long long>(p.crop_width), static_cast<long long>(c.vision.image_size));
  T2_CHECK(p.grid_pinpoints == c.grid_pinpoints,
           "%s: image_grid_pinpoints differ from config.json's; the processor would cut images "
           "into a grid the model does not expect", ps.c_str());
  for (const Resolution& r : p.grid_pinpoints)
    T2_CHECK(r[0] % p.tile() == 0 && r[1] % p.tile() == 0,
             "%s: grid pinpoint [%lld, %lld] is not a whole number of %lld-pixel tiles",
             ps.c_str(), static_cast<long long>(r[0]), static_cast<long long>(r[1]),
             static_cast<long long>(p.tile()));
  return c;
}

LlavaConfig load_llava_config(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string path = (fs::path(dir) / "config.json").string();
  T2_CHECK(io::file_exists(path), "%s: no config.json (is this a Hugging Face model directory?)",
           dir.c_str());
  const std::string proc = (fs::path(dir) / "preprocessor_config.json").string();
  LlavaConfig c = parse_llava_config(io::read_file(path), path,
                                     io::file_exists(proc) ? io::read_file(proc) : "", proc);
  apply_generation_config(dir, c.text);
  return c;
}

bool is_llava_checkpoint(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  if (!io::file_exists(path)) return false;
  try {
    const json j = json::parse(io::read_file(path));
    return j.is_object() && j.value("model_type", "") == "llava_next";
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace t2::model::llava
