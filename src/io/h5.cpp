// HDF5 layer, part 1: checked-call helpers, handles, groups and files. Attributes and datasets
// are in h5_data.cpp; shared helpers in h5_internal.h.
#include "io/h5.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include "base/error.h"
#include "io/h5_internal.h"

namespace t2::io::h5 {

static_assert(std::is_same_v<hid_t, Hid>, "h5.h assumes hid_t is int64_t (HDF5 >= 1.10)");

namespace detail {

// Switch off HDF5's own printing of error stacks (we report errors ourselves) and its clean-up at
// process exit: after a failed write (a full disk) H5Fclose fails and leaves the file half closed,
// and HDF5's exit handler then crashes on it. Every file is closed by its handle; nothing is left
// for an exit handler to do.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5dont_atexit();
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

static herr_t walk_first(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc) *out = err->desc;  // innermost (walking upward: first = deepest)
  return 0;
}

// HDF5's innermost message from the current error stack ("" when none), then clears the stack.
// A failed system call is reported as a long record ("file write failed: time = ..., errno = 28,
// error message = 'No space left on device', buf = ..."); only the system's message is kept.
static std::string hdf5_message() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_first, &msg);
  H5Eclear2(H5E_DEFAULT);
  const std::string key = "error message = '";
  const size_t at = msg.find(key);
  if (at != std::string::npos) {
    const size_t end = msg.find('\'', at + key.size());
    if (end != std::string::npos) {
      const size_t colon = msg.find(':');
      msg = msg.substr(0, colon == std::string::npos ? 0 : colon) + ": " +
            msg.substr(at + key.size(), end - at - key.size());
    }
  }
  return msg;
}

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  const std::string detail = hdf5_message();
  if (detail.empty()) T2_FAIL("HDF5: %s: %s", where.c_str(), what.c_str());
  T2_FAIL("HDF5: %s: %s (%s)", where.c_str(), what.c_str(), detail.c_str());
}

// Checks an id-returning call.
hid_t check_id(hid_t id, const std::string& where, const char* what) {
  if (id < 0) fail(where, what);
  return id;
}

// Checks an herr_t / htri_t-returning call; returns the value (for htri_t).
int check(herr_t rc, const std::string& where, const char* what) {
  if (rc < 0) fail(where, what);
  return rc;
}

std::string join(const std::string& base, const std::string& child) {
  if (child.starts_with('/')) return child;
  if (base == "/") return "/" + child;
  return base + "/" + child;
}

// A variable-length UTF-8 string type (caller owns the returned handle).
Handle vlen_string_type(const std::string& where) {
  Handle t(check_id(H5Tcopy(H5T_C_S1), where, "copying the string type"), where);
  check(H5Tset_size(t.id(), H5T_VARIABLE), where, "making a variable-length string type");
  check(H5Tset_cset(t.id(), H5T_CSET_UTF8), where, "setting UTF-8");
  return t;
}

DType classify(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) return size == 4 ? DType::f32 : size == 8 ? DType::f64 : DType::other;
  if (cls == H5T_INTEGER) return size == 4 ? DType::i32 : size == 8 ? DType::i64 : DType::other;
  if (cls == H5T_STRING) return DType::string;
  return DType::other;
}


std::vector<int64_t> space_shape(hid_t space, const std::string& where) {
  const int rank = check(H5Sget_simple_extent_ndims(space), where, "reading the rank");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), where, "reading the shape");
  return std::vector<int64_t>(dims.begin(), dims.end());
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t n = 1;
  for (auto d : v) n *= d;
  return n;
}

std::string shape_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}


int64_t row_length(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

}  // namespace detail

using namespace detail;


const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
    case DType::i64: return "i64";
    case DType::string: return "string";
    case DType::other: return "other";
  }
  return "?";
}

// ---- Handle ------------------------------------------------------------------------------------

Handle::Handle(Hid id, std::string where) : id_(id), where_(std::move(where)) {}
Handle::~Handle() { close(); }
Handle::Handle(Handle&& o) noexcept : id_(o.id_), where_(std::move(o.where_)) { o.id_ = -1; }
Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    close();
    id_ = o.id_;
    where_ = std::move(o.where_);
    o.id_ = -1;
  }
  return *this;
}

void Handle::close() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = -1;
}


// ---- Group -------------------------------------------------------------------------------------

std::string Group::child_name(const std::string& path) const { return join(name(), path); }

bool Group::has(const std::string& path) const {
  // Check each prefix so that "a/b" with a missing "a" answers false instead of failing.
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (!prefix.empty() && prefix != "/") {
      const htri_t e = H5Lexists(id(), prefix.c_str(), H5P_DEFAULT);
      if (e <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    if (pos == std::string::npos) return true;
  }
}

namespace {
H5O_type_t object_type(hid_t loc, const std::string& path, const std::string& where) {
  H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
  check(H5Oget_info_by_name3(loc, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), where,
        "reading object info");
#else
  check(H5Oget_info_by_name2(loc, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), where,
        "reading object info");
#endif
  return info.type;
}
}  // namespace

bool Group::has_group(const std::string& path) const {
  return has(path) && object_type(id(), path, where()) == H5O_TYPE_GROUP;
}

bool Group::has_dataset(const std::string& path) const {
  return has(path) && object_type(id(), path, where()) == H5O_TYPE_DATASET;
}

std::vector<std::string> Group::children() const {
  H5G_info_t info;
  check(H5Gget_info(id(), &info), where(), "reading group info");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n =
        H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    check(static_cast<herr_t>(n < 0 ? -1 : 0), where(), "reading link names");
    std::string s(static_cast<size_t>(n), '\0');
    H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size() + 1,
                       H5P_DEFAULT);
    names.push_back(std::move(s));
  }
  return names;
}

Group Group::group(const std::string& path) const {
  const std::string full = child_name(path);
  const std::string w = file_ + ":" + full;
  T2_CHECK(has(path), "HDF5: %s: group is missing", w.c_str());
  Handle h(check_id(H5Gopen2(id(), path.c_str(), H5P_DEFAULT), w, "opening the group"), w);
  return Group(std::move(h), file_, full);
}

Group Group::create_group(const std::string& path) {
  const std::string full = child_name(path);
  const std::string w = file_ + ":" + full;
  T2_CHECK(!has(path), "HDF5: %s: already exists", w.c_str());
  Handle lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), w, "creating a property list"), w);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), w, "setting intermediate groups");
  Handle h(check_id(H5Gcreate2(id(), path.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT), w,
                    "creating the group"),
           w);
  return Group(std::move(h), file_, full);
}

Group Group::require_group(const std::string& path) {
  return has(path) ? group(path) : create_group(path);
}

Dataset Group::dataset(const std::string& path) const {
  const std::string full = child_name(path);
  const std::string w = file_ + ":" + full;
  T2_CHECK(has(path), "HDF5: %s: dataset is missing", w.c_str());
  Handle h(check_id(H5Dopen2(id(), path.c_str(), H5P_DEFAULT), w, "opening the dataset"), w);
  return Dataset(std::move(h), file_, full);
}

void Group::remove(const std::string& path) {
  const std::string w = file_ + ":" + child_name(path);
  check(H5Ldelete(id(), path.c_str(), H5P_DEFAULT), w, "removing");
}

namespace {

// Dataset creation property list for the options (chunking, deflate) and the given shape.
Handle creation_plist(const std::vector<int64_t>& shape, size_t elem_size,
                      const DatasetOptions& opt, const std::string& w) {
  Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), w, "creating a property list"), w);
  T2_CHECK(opt.deflate >= 0 && opt.deflate <= 9, "HDF5: %s: deflate level %d is outside 0..9",
           w.c_str(), opt.deflate);
  std::vector<int64_t> chunk = opt.chunk;
  if (chunk.empty() && (opt.deflate > 0 || opt.extendible)) {
    chunk = shape;
    const int64_t row = std::max<int64_t>(1, row_length(shape)) * static_cast<int64_t>(elem_size);
    chunk[0] = std::clamp<int64_t>((int64_t{1} << 20) / row, 1, std::max<int64_t>(shape[0], 1));
    for (auto& c : chunk) c = std::max<int64_t>(c, 1);
  }
  if (!chunk.empty()) {
    T2_CHECK(chunk.size() == shape.size(), "HDF5: %s: chunk rank %zu differs from dataset rank %zu",
             w.c_str(), chunk.size(), shape.size());
    std::vector<hsize_t> c(chunk.begin(), chunk.end());
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(c.size()), c.data()), w, "setting chunks");
    if (opt.deflate > 0) {
      check(H5Pset_shuffle(dcpl.id()), w, "setting the shuffle filter");
      check(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(opt.deflate)), w, "setting deflate");
    }
  }
  return dcpl;
}

Handle create_dataset_raw(hid_t loc, const std::string& path, hid_t ftype,
                          const std::vector<int64_t>& shape, size_t elem_size,
                          const DatasetOptions& opt, const std::string& w) {
  T2_CHECK(!shape.empty(), "HDF5: %s: a dataset needs at least one dimension", w.c_str());
  std::vector<hsize_t> dims(shape.begin(), shape.end()), maxdims = dims;
  if (opt.extendible) maxdims[0] = H5S_UNLIMITED;
  Handle space(check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(),
                                         maxdims.data()),
                        w, "creating the dataspace"),
               w);
  Handle dcpl = creation_plist(shape, elem_size, opt, w);
  Handle lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), w, "creating a property list"), w);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), w, "setting intermediate groups");
  return Handle(check_id(H5Dcreate2(loc, path.c_str(), ftype, space.id(), lcpl.id(), dcpl.id(),
                                    H5P_DEFAULT),
                         w, "creating the dataset"),
                w);
}

}  // namespace

template <class T>
Dataset Group::write_impl(const std::string& path, std::span<const T> data,
                          const std::vector<int64_t>& shape_in, const DatasetOptions& opt) {
  const std::string full = child_name(path);
  const std::string w = file_ + ":" + full;
  T2_CHECK(!has(path), "HDF5: %s: already exists", w.c_str());
  const std::vector<int64_t> shape =
      shape_in.empty() ? std::vector<int64_t>{static_cast<int64_t>(data.size())} : shape_in;
  T2_CHECK(product(shape) == static_cast<int64_t>(data.size()),
           "HDF5: %s: shape %s needs %lld values, got %zu", w.c_str(), shape_text(shape).c_str(),
           static_cast<long long>(product(shape)), data.size());
  Handle h = create_dataset_raw(id(), path, file_type<T>(), shape, sizeof(T), opt, w);
  if (!data.empty()) {
    check(H5Dwrite(h.id(), mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), w,
          "writing the dataset");
  }
  return Dataset(std::move(h), file_, full);
}

using Shape = std::vector<int64_t>;
// The element types Group::write accepts.
template Dataset Group::write_impl(const std::string&, std::span<const float>, const Shape&,
                                   const DatasetOptions&);
template Dataset Group::write_impl(const std::string&, std::span<const double>, const Shape&,
                                   const DatasetOptions&);
template Dataset Group::write_impl(const std::string&, std::span<const int32_t>, const Shape&,
                                   const DatasetOptions&);
template Dataset Group::write_impl(const std::string&, std::span<const int64_t>, const Shape&,
                                   const DatasetOptions&);

Dataset Group::write_strings(const std::string& path, const std::vector<std::string>& data,
                             const DatasetOptions& opt) {
  const std::string full = child_name(path);
  const std::string w = file_ + ":" + full;
  T2_CHECK(!has(path), "HDF5: %s: already exists", w.c_str());
  Handle t = vlen_string_type(w);
  Handle h = create_dataset_raw(id(), path, t.id(), {static_cast<int64_t>(data.size())},
                                sizeof(char*), opt, w);
  if (!data.empty()) {
    std::vector<const char*> ptrs;
    for (const auto& x : data) ptrs.push_back(x.c_str());
    check(H5Dwrite(h.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), w,
          "writing strings");
  }
  return Dataset(std::move(h), file_, full);
}

Dataset Group::create_dataset(const std::string& path, DType type,
                              const std::vector<int64_t>& shape, const DatasetOptions& opt) {
  const std::string full = child_name(path);
  const std::string w = file_ + ":" + full;
  T2_CHECK(!has(path), "HDF5: %s: already exists", w.c_str());
  Handle str;
  hid_t ftype = -1;
  size_t size = 0;
  switch (type) {
    case DType::f32: ftype = H5T_IEEE_F32LE; size = 4; break;
    case DType::f64: ftype = H5T_IEEE_F64LE; size = 8; break;
    case DType::i32: ftype = H5T_STD_I32LE; size = 4; break;
    case DType::i64: ftype = H5T_STD_I64LE; size = 8; break;
    case DType::string: str = vlen_string_type(w); ftype = str.id(); size = sizeof(char*); break;
    case DType::other: T2_FAIL("HDF5: %s: cannot create a dataset of type 'other'", w.c_str());
  }
  Handle h = create_dataset_raw(id(), path, ftype, shape, size, opt, w);
  return Dataset(std::move(h), file_, full);
}

// ---- File --------------------------------------------------------------------------------------

File File::create(const std::string& path) {
  silence_hdf5();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail(path, "cannot create the file (does the directory exist and is it writable?)");
  return File(Handle(id, path + ":/"), path, true);
}

bool File::is_hdf5(const std::string& path) {
  silence_hdf5();
  const htri_t r = H5Fis_hdf5(path.c_str());
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

File File::open(const std::string& path, Mode mode) {
  silence_hdf5();
  FILE* probe = std::fopen(path.c_str(), "rb");
  T2_CHECK(probe != nullptr, "HDF5: %s: cannot open the file (missing or unreadable)",
           path.c_str());
  std::fclose(probe);
  T2_CHECK(is_hdf5(path), "HDF5: %s: not an HDF5 file (no HDF5 signature)", path.c_str());
  const unsigned flags = mode == Mode::read_write ? H5F_ACC_RDWR : H5F_ACC_RDONLY;
  const hid_t id = H5Fopen(path.c_str(), flags, H5P_DEFAULT);
  if (id < 0) {
    fail(path, mode == Mode::read_write ? "cannot open the file for writing"
                                        : "cannot open the file for reading");
  }
  return File(Handle(id, path + ":/"), path, mode == Mode::read_write);
}

void File::flush() { check(H5Fflush(id(), H5F_SCOPE_GLOBAL), where(), "flushing"); }

void create_atomic(const std::string& path, const std::function<void(File&)>& fill,
                   const char* what) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    File f = File::create(tmp);
    fill(f);
    f.flush();
    f.close();
  } catch (const Error& e) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    T2_FAIL("cannot write %s '%s': %s; nothing was written there", what, path.c_str(), e.what());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    T2_FAIL("cannot publish %s '%s': %s", what, path.c_str(), ec.message().c_str());
  }
}

}  // namespace t2::io::h5
