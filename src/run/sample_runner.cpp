// Batched generation of task samples with per-slot SVF scalings; see sample_runner.h.
#include "run/sample_runner.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "base/error.h"
#include "base/timer.h"

namespace t2::run {

SampleRunner::SampleRunner(std::shared_ptr<const model::LlamaModel> model,
                           tokenizer::Tokenizer tokenizer, const RunnerOptions& options,
                           const tasks::sandbox::Sandbox* sandbox,
                           std::shared_ptr<const svf::FactorSet> factors)
    : model_(std::move(model)),
      encoder_(std::move(tokenizer), model_->config(), options.chat_template),
      options_(options),
      sandbox_(sandbox),
      adapter_(*model_, std::move(factors), options.apply, options.svf_cache_bytes),
      ctx_(model_) {
  encoder_.chat_template();  // task prompts need one: fail now, naming the files
}

void SampleRunner::set_vision(std::shared_ptr<const model::llava::LlavaModel> vision) {
  T2_CHECK(vision == nullptr || vision->language_model() == model_,
           "the vision side given to the sample runner belongs to another language model");
  vision_ = std::move(vision);
}

namespace {

// The image a sample names ("" for a text sample).
std::string image_of(const tasks::Sample& s) {
  if (!s.extra.is_object()) return "";
  const auto it = s.extra.find("image");
  return it != s.extra.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Generation SampleRunner::prepare(const Job& job, std::map<std::string, std::shared_ptr<
                                 const std::vector<model::llava::ImageFeatures>>>& images) const {
  const tasks::Prompt p = job.task->build_prompt(*job.sample);
  Generation g;
  g.prompt = encoder_.encode(p);
  g.scaling = job.scaling;
  g.max_new_tokens = options_.max_new_tokens > 0 ? options_.max_new_tokens : p.max_new_tokens;
  g.stop = p.stop;
  g.stream = job.stream;
  g.context_limit = p.context_limit;
  const std::string path = image_of(*job.sample);
  if (path.empty()) return g;
  T2_CHECK(vision_ != nullptr,
           "image: task %s asks questions about images, but the model is a text-only checkpoint; "
           "use a LLaVA-NeXT checkpoint (config.json model_type llava_next)",
           std::string(job.task->name()).c_str());
  auto& features = images[path];
  if (features == nullptr) {
    namespace fs = std::filesystem;
    const std::string folder = fs::path(path).parent_path().string();
    T2_CHECK(fs::exists(path), "image: file %s is missing from the image folder %s (it was there "
             "when the data was loaded)", fs::path(path).filename().c_str(), folder.c_str());
    try {
      features = std::make_shared<const std::vector<model::llava::ImageFeatures>>(
          std::vector{vision_->encode_image_file(path)});
    } catch (const t2::Error& e) {
      T2_FAIL("image: %s (image folder %s)", e.what(), folder.c_str());
    }
  }
  const model::llava::LlavaPrompt lp = vision_->expand_prompt(g.prompt, features);
  g.prompt = lp.ids;
  g.embeds = lp.embeds;
  g.embeds_owner = lp.features;
  return g;
}

std::vector<JobResult> SampleRunner::run(std::span<const Job> jobs, const BatchOptions& options,
                                         BatchStats* stats) {
  std::vector<JobResult> out(jobs.size());
  std::vector<Generation> gens;
  std::vector<size_t> gen_job;  // job index of generation g
  // Each image of the batch is encoded once; its time is shared by the jobs that use it.
  std::map<std::string, std::shared_ptr<const std::vector<model::llava::ImageFeatures>>> images;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const Job& job = jobs[i];
    if (job.sample == nullptr) {
      out[i].status = "bad record: " + job.load_error;
      continue;
    }
    try {
      gens.push_back(prepare(job, images));
      gen_job.push_back(i);
    } catch (const t2::Error& e) {
      const std::string what = e.what();
      out[i].status = what.rfind("image: ", 0) == 0 ? what : "prompt: " + what;
    }
  }
  std::map<std::string, int> users;  // generations per encoded image
  for (size_t i : gen_job) ++users[image_of(*jobs[i].sample)];
  std::vector<JobResult> res = generate(gens, options, stats);
  for (size_t g = 0; g < res.size(); ++g) {
    const std::string path = image_of(*jobs[gen_job[g]].sample);
    if (!path.empty()) res[g].vision_s = images.at(path)->front().seconds / users[path];
    out[gen_job[g]] = std::move(res[g]);
  }
  if (!options.score) return out;
  std::vector<size_t> to_score;
  std::vector<std::pair<const tasks::Sample*, std::string>> items;
  const tasks::Task* task = nullptr;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!out[i].ok() || jobs[i].sample == nullptr) continue;
    T2_CHECK(task == nullptr || task == jobs[i].task, "a batch scores the samples of one task");
    task = jobs[i].task;
    to_score.push_back(i);
    items.emplace_back(jobs[i].sample, out[i].text);
  }
  if (task == nullptr) return out;
  tasks::ScoreOptions so;
  so.mode = options_.scoring;
  so.sandbox = const_cast<tasks::sandbox::Sandbox*>(sandbox_);
  try {
    const auto verdicts = task->score_many(items, so);
    for (size_t k = 0; k < to_score.size(); ++k) {
      JobResult& r = out[to_score[k]];
      r.verdict = verdicts[k];
      r.scored = true;
      if (r.verdict.status == "error" || r.verdict.status == "not_run")
        r.status = "scorer: " + r.verdict.status +
                   (r.verdict.prediction.empty() ? "" : " (" + r.verdict.prediction + ")") +
                   (r.verdict.detail.empty() ? "" : ": " + r.verdict.detail);
    }
  } catch (const t2::Error& e) {
    for (size_t i : to_score) out[i].status = std::string("scorer: ") + e.what();
  }
  return out;
}

std::vector<JobResult> SampleRunner::generate(std::span<const Generation> gens,
                                              const BatchOptions& options, BatchStats* stats) {
  std::vector<JobResult> out(gens.size());
  std::vector<size_t> pending;  // generation index of request j
  std::vector<model::GenerationRequest> requests;
  std::vector<const svf::ScalingSet*> per_slot;
  svf::Workload work;
  work.reuse = options.reuse;
  int64_t context_limit = 0;
  for (size_t i = 0; i < gens.size(); ++i) {
    const Generation& g = gens[i];
    JobResult& r = out[i];
    r.prompt = g.prompt;
    r.stop = g.stop;
    r.embeds = g.embeds;
    r.embeds_owner = g.embeds_owner;
    const int64_t limit = g.context_limit > 0 ? std::min(g.context_limit, context()) : context();
    if (static_cast<int64_t>(r.prompt.size()) >= limit) {
      r.status = t2::format("prompt too long: %zu tokens, context limit %lld", r.prompt.size(),
                            static_cast<long long>(limit));
      continue;
    }
    context_limit = std::max(context_limit, limit);
    model::GenerationRequest req;
    req.id = g.stream;
    req.prompt = g.prompt;
    req.max_new_tokens = g.max_new_tokens;
    req.sampling = options_.sampling;
    req.embeds = g.embeds;
    req.embeds_owner = g.embeds_owner;
    work.prompt_tokens.push_back(static_cast<int64_t>(req.prompt.size()));
    work.new_tokens.push_back(req.max_new_tokens);
    requests.push_back(std::move(req));
    per_slot.push_back(g.scaling);
    pending.push_back(i);
  }
  BatchStats st;
  if (!requests.empty()) {
    try {
      st.attach = adapter_.attach(ctx_, per_slot, work);
    } catch (const t2::Error& e) {
      for (size_t i : pending) out[i].status = std::string("adaptation: ") + e.what();
      pending.clear();
      requests.clear();
    }
  }
  if (!requests.empty()) {
    StopStrings stops(encoder_.tokenizer(), requests.size());
    model::GenerationOptions opt;
    opt.seed = options_.seed;
    opt.stop_token_ids = encoder_.stop_ids();
    opt.context_limit = context_limit;
    opt.want_logprobs = options.logprobs;
    opt.on_token = [&](int32_t r, int32_t tok) { stops.add(r, tok); };
    opt.stop_check = [&](int32_t r, std::span<const int32_t>) {
      return stops.hit(r, out[pending[r]].stop);
    };
    std::vector<model::GenerationResult> gen;
    const Timer timer;
    try {
      gen = model::generate(ctx_, requests, opt);
    } catch (const t2::Error& e) {
      for (size_t i : pending) out[i].status = std::string("generation: ") + e.what();
      pending.clear();
    }
    st.wall_s = timer.seconds();
    for (size_t j = 0; j < pending.size(); ++j) {
      JobResult& r = out[pending[j]];
      model::GenerationResult& g = gen[j];
      r.ran = true;
      r.seconds = g.seconds - g.admitted_s;
      r.finish = g.finish;
      st.generated_tokens += g.n_generated;
      if (g.finish == model::FinishReason::error) {
        r.status = "generation: " + g.error;
        continue;
      }
      r.tokens = std::move(g.tokens);
      r.logprobs = std::move(g.logprobs);
      try {
        r.text = encoder_.completion(r.tokens, g.finish == model::FinishReason::stop_token, r.stop);
      } catch (const t2::Error& e) {
        r.status = std::string("decode: ") + e.what();
      }
    }
  }
  if (stats) *stats = st;
  return out;
}

std::vector<double> SampleRunner::mean_logprobs(std::span<const Rescore> items) {
  std::vector<double> out(items.size(), 0.0);
  std::vector<std::vector<int32_t>> seqs;
  std::vector<std::vector<model::EmbeddingRun>> embeds;
  bool any_embeds = false;
  std::vector<const svf::ScalingSet*> per_slot;
  std::vector<size_t> index;
  svf::Workload work;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].completion.empty()) continue;
    std::vector<int32_t> s = items[i].prompt;
    s.insert(s.end(), items[i].completion.begin(), items[i].completion.end());
    work.prompt_tokens.push_back(static_cast<int64_t>(s.size()));
    work.new_tokens.push_back(1);
    seqs.push_back(std::move(s));
    embeds.push_back(items[i].embeds);
    any_embeds = any_embeds || !items[i].embeds.empty();
    per_slot.push_back(items[i].scaling);
    index.push_back(i);
  }
  if (seqs.empty()) return out;
  adapter_.attach(ctx_, per_slot, work);
  const auto lp = any_embeds ? model::score(ctx_, seqs, embeds) : model::score(ctx_, seqs);
  for (size_t j = 0; j < seqs.size(); ++j) {
    const size_t n = items[index[j]].completion.size();
    double sum = 0;
    for (size_t t = lp[j].size() - n; t < lp[j].size(); ++t) sum += lp[j][t];
    out[index[j]] = sum / static_cast<double>(n);
  }
  return out;
}

}  // namespace t2::run
