// Rank-parallel decomposition into the SVD store; wire format of results between ranks.
#include "svf/decompose.h"

#include <filesystem>
#include <optional>

#include "base/bytes.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timer.h"
#include "svf/svd_store.h"

namespace t2::svf {

namespace {

constexpr const char* kMessage = "decompose: message between ranks";

// A rank's result for one round (base/bytes.h): i64 kind 0 = nothing, 1 = a matrix, 2 = an error
// message.
std::string encode_result(const std::string& name, const Svd& svd, const std::string& dtype,
                          double err, double seconds) {
  std::string out;
  put_bytes<int64_t>(out, 1);
  put_string(out, name);
  put_string(out, dtype);
  put_bytes(out, err);
  put_bytes(out, seconds);
  put_bytes(out, svd.n_out);
  put_bytes(out, svd.n_in);
  put_vector(out, svd.u);
  put_vector(out, svd.s);
  put_vector(out, svd.v);
  return out;
}

std::string encode_error(const std::string& message) {
  std::string out;
  put_bytes<int64_t>(out, 2);
  put_string(out, message);
  return out;
}

// Rank 0's verdict broadcast after setup and after every round: "" = go on, else an error.
std::string root_step(const dist::Communicator& comm, const std::function<std::string()>& work) {
  std::string verdict;
  if (comm.rank() == 0) {
    try {
      verdict = work();
    } catch (const Error& e) {
      verdict = std::string("E") + e.what();
    }
  }
  comm.broadcast(verdict, 0);
  return verdict;
}

// A write to the store failed (a full disk): close it and see whether it still reads. A store that
// reads keeps its complete matrices (a rerun resumes, dropping the one cut short); one that does
// not is moved to STORE.damaged, so that nothing takes it for a result.
[[noreturn]] void write_failed(std::optional<SvdStore>& store, const std::string& path,
                               const std::string& why) {
  store.reset();
  std::string fate;
  try {
    const SvdStore check = SvdStore::open(path);
    fate = format("it keeps the %zu matrices written before; when there is space, rerun t2 "
                  "decompose: it resumes", check.names().size());
  } catch (const Error&) {
    std::error_code ec;
    std::filesystem::rename(path, path + ".damaged", ec);
    fate = ec ? format("it cannot be read back; remove it (%s) and rerun t2 decompose",
                       ec.message().c_str())
              : format("it could not be read back and was moved to %s.damaged; remove that and "
                       "rerun t2 decompose when there is space", path.c_str());
  }
  T2_FAIL("decompose: cannot write SVD store '%s' (%s); %s", path.c_str(), why.c_str(),
          fate.c_str());
}

}  // namespace

DecomposeSummary decompose_to_store(const std::string& store_path, const WeightSource& source,
                                    const DecomposeOptions& options,
                                    const dist::Communicator& comm) {
  Timer timer;
  DecomposeSummary summary;
  summary.n_matrices = static_cast<int64_t>(source.names.size());
  std::optional<SvdStore> store;  // rank 0 only

  // Setup on rank 0: open or create, drop incomplete groups, list what is left ("T" + names).
  const std::string todo_msg = root_step(comm, [&]() -> std::string {
    if (std::filesystem::exists(store_path)) {
      try {
        store.emplace(SvdStore::open(store_path, io::h5::Mode::read_write));
      } catch (const Error& e) {
        T2_FAIL("SVD store '%s' exists but cannot be read (%s). If it was cut short (a full disk, "
                "a crash while writing), move it away or remove it and run t2 decompose again",
                store_path.c_str(), e.what());
      }
      store->check_fingerprint(source.fingerprint, "model '" + source.model_id + "'");
      for (const auto& n : store->drop_incomplete()) {
        T2_LOG_WARN("decompose: dropping incomplete matrix '%s' from %s", n.c_str(),
                    store_path.c_str());
      }
    } else {
      store.emplace(SvdStore::create(store_path, source.fingerprint, source.model_id));
    }
    std::string todo = "T";
    for (const auto& n : source.names) {
      if (!store->has(n)) put_string(todo, n);
    }
    return todo;
  });
  if (todo_msg.empty() || todo_msg[0] != 'T') throw CollectiveError(todo_msg.substr(todo_msg.empty() ? 0 : 1));
  ByteReader reader(std::string_view(todo_msg).substr(1), kMessage);
  std::vector<std::string> todo;
  while (!reader.done()) todo.push_back(reader.get_string());
  summary.n_skipped = summary.n_matrices - static_cast<int64_t>(todo.size());
  DecomposeProgress report;
  report.n_todo = static_cast<int64_t>(todo.size());
  report.n_skipped = summary.n_skipped;
  if (comm.rank() == 0 && options.on_progress) options.on_progress(report);
  if (comm.rank() == 0 && summary.n_skipped > 0 && options.progress && !options.on_progress) {
    T2_LOG_INFO("decompose: %lld of %lld matrices already in %s, %zu to do",
                static_cast<long long>(summary.n_skipped),
                static_cast<long long>(summary.n_matrices), store_path.c_str(), todo.size());
  }

  const int64_t size = comm.size();
  const int64_t n_rounds = (static_cast<int64_t>(todo.size()) + size - 1) / size;
  for (int64_t round = 0; round < n_rounds; ++round) {
    const int64_t i = round * size + comm.rank();
    std::string mine(8, '\0');  // kind 0: nothing this round
    if (i < static_cast<int64_t>(todo.size())) {
      try {
        Timer t;
        WeightMatrix w = source.load(todo[i]);
        Svd svd = compute_svd(w.data, w.n_out, w.n_in, options.precision, todo[i]);
        const double err = max_reconstruction_error(svd, w.data);
        mine = encode_result(todo[i], svd, w.dtype, err, t.seconds());
      } catch (const Error& e) {
        mine = encode_error(e.what());
      }
    }
    std::vector<std::string> all = comm.gather(mine, 0);
    const std::string verdict = root_step(comm, [&]() -> std::string {
      for (const auto& msg : all) {
        ByteReader r(msg, kMessage);
        const auto kind = r.get<int64_t>();
        if (kind == 2) return "E" + r.get_string();
        if (kind != 1) continue;
        const std::string name = r.get_string(), dtype = r.get_string();
        const auto err = r.get<double>(), secs = r.get<double>();
        Svd svd;
        svd.n_out = r.get<int64_t>();
        svd.n_in = r.get<int64_t>();
        svd.r = std::min(svd.n_out, svd.n_in);
        svd.u = r.get_vector<float>();
        svd.s = r.get_vector<float>();
        svd.v = r.get_vector<float>();
        try {
          store->write(name, svd, dtype, options.precision, err);
        } catch (const Error& e) {
          write_failed(store, store_path, e.what());
        }
        summary.svd_seconds += secs;
        ++summary.n_done;
        if (options.on_progress) {
          report.n_done = summary.n_done;
          report.name = name;
          report.n_out = svd.n_out;
          report.n_in = svd.n_in;
          report.seconds = secs;
          report.max_error = err;
          options.on_progress(report);
        } else if (options.progress) {
          const double elapsed = timer.seconds();
          const double done = static_cast<double>(summary.n_done);
          const double eta = elapsed / done * (static_cast<double>(todo.size()) - done);
          T2_LOG_INFO("decompose: [%lld/%zu] %s [%lld, %lld] in %.2f s, max |W - USVᵀ| = %.3g, "
                      "ETA %.0f s",
                      static_cast<long long>(summary.n_done), todo.size(), name.c_str(),
                      static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in), secs,
                      err, eta);
        }
      }
      try {
        store->flush();
      } catch (const Error& e) {
        write_failed(store, store_path, e.what());
      }
      return "";
    });
    if (!verdict.empty()) throw CollectiveError(verdict.substr(1));  // rank 0's verdict, on every rank
  }

  // Final summary from rank 0 to everyone.
  const std::string fin = root_step(comm, [&]() -> std::string {
    std::string out = "S";
    put_bytes(out, summary.n_done);
    put_bytes(out, store->max_reconstruction_error());
    put_bytes(out, summary.svd_seconds);
    return out;
  });
  if (fin.empty() || fin[0] != 'S') throw CollectiveError(fin.substr(fin.empty() ? 0 : 1));
  ByteReader fr(std::string_view(fin).substr(1), kMessage);
  summary.n_done = fr.get<int64_t>();
  summary.max_error = fr.get<double>();
  summary.svd_seconds = fr.get<double>();
  summary.seconds = timer.seconds();
  return summary;
}

}  // namespace t2::svf
