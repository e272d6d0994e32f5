// Implementation of the HDF5 layer: checked calls, type mapping, handle lifetime, string handling.
#include "io/h5.h"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "base/error.h"

namespace t2::io::h5 {

static_assert(std::is_same_v<hid_t, Hid>, "h5.h assumes hid_t is int64_t (HDF5 >= 1.10)");

namespace {

// Switch off HDF5's own printing of error stacks; we report errors ourselves.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

herr_t walk_first(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc) *out = err->desc;  // innermost (walking upward: first = deepest)
  return 0;
}

// HDF5's innermost message from the current error stack ("" when none), then clears the stack.
std::string hdf5_message() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_first, &msg);
  H5Eclear2(H5E_DEFAULT);
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

template <class T> hid_t mem_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
}

template <class T> hid_t file_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_STD_I32LE;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_STD_I64LE;
}

template <class T> DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  if constexpr (std::is_same_v<T, double>) return DType::f64;
  if constexpr (std::is_same_v<T, int32_t>) return DType::i32;
  if constexpr (std::is_same_v<T, int64_t>) return DType::i64;
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

bool is_float(DType t) { return t == DType::f32 || t == DType::f64; }
bool is_int(DType t) { return t == DType::i32 || t == DType::i64; }

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

// Reads a string-typed attribute or dataset (variable or fixed length) as a list of strings.
template <class ReadFn>
std::vector<std::string> read_string_values(hid_t stored_type, size_t n, const std::string& where,
                                            ReadFn&& read) {
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (H5Tis_variable_str(stored_type) > 0) {
    Handle mt = vlen_string_type(where);
    std::vector<char*> ptrs(n, nullptr);
    check(read(mt.id(), ptrs.data()), where, "reading strings");
    for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    Handle space(check_id(H5Screate_simple(1, std::array<hsize_t, 1>{n}.data(), nullptr), where,
                          "creating a dataspace"),
                 where);
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(mt.id(), space.id(), H5P_DEFAULT, ptrs.data());
#else
    H5Dvlen_reclaim(mt.id(), space.id(), H5P_DEFAULT, ptrs.data());
#endif
    return out;
  }
  const size_t len = H5Tget_size(stored_type);
  Handle mt(check_id(H5Tcopy(H5T_C_S1), where, "copying the string type"), where);
  check(H5Tset_size(mt.id(), len), where, "sizing the string type");
  std::vector<char> buf(n * len);
  check(read(mt.id(), buf.data()), where, "reading fixed-length strings");
  for (size_t i = 0; i < n; ++i) {
    const char* s = buf.data() + i * len;
    out[i].assign(s, strnlen(s, len));
  }
  return out;
}

}  // namespace

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

// ---- Object: attributes ------------------------------------------------------------------------

bool Object::has_attr(const std::string& attr) const {
  return check(H5Aexists(id(), attr.c_str()), where(), "checking for an attribute") > 0;
}

std::vector<std::string> Object::attr_names() const {
  H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
  check(H5Oget_info3(id(), &info, H5O_INFO_NUM_ATTRS), where(), "reading object info");
#else
  check(H5Oget_info2(id(), &info, H5O_INFO_NUM_ATTRS), where(), "reading object info");
#endif
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const ssize_t n = H5Aget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0,
                                         H5P_DEFAULT);
    check(static_cast<herr_t>(n < 0 ? -1 : 0), where(), "reading attribute names");
    std::string s(static_cast<size_t>(n), '\0');
    H5Aget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size() + 1,
                       H5P_DEFAULT);
    names.push_back(std::move(s));
  }
  return names;
}

namespace {

// Creates (replacing) an attribute of the given file type and dataspace, and writes buf.
void write_attr(const Object& obj, const std::string& attr, hid_t ftype, hid_t mtype, hid_t space,
                const void* buf) {
  const std::string w = obj.where() + " attribute '" + attr + "'";
  if (check(H5Aexists(obj.id(), attr.c_str()), w, "checking for the attribute") > 0) {
    check(H5Adelete(obj.id(), attr.c_str()), w, "replacing the attribute");
  }
  Handle a(check_id(H5Acreate2(obj.id(), attr.c_str(), ftype, space, H5P_DEFAULT, H5P_DEFAULT), w,
                    "creating the attribute"),
           w);
  check(H5Awrite(a.id(), mtype, buf), w, "writing the attribute");
}

struct OpenAttr {
  Handle attr, type, space;
  DType dtype;
  std::vector<int64_t> shape;
  std::string where;
};

OpenAttr open_attr(const Object& obj, const std::string& attr) {
  OpenAttr a;
  a.where = obj.where() + " attribute '" + attr + "'";
  T2_CHECK(check(H5Aexists(obj.id(), attr.c_str()), a.where, "checking for the attribute") > 0,
           "HDF5: %s: attribute '%s' is missing", obj.where().c_str(), attr.c_str());
  a.attr = Handle(check_id(H5Aopen(obj.id(), attr.c_str(), H5P_DEFAULT), a.where, "opening"),
                  a.where);
  a.type = Handle(check_id(H5Aget_type(a.attr.id()), a.where, "reading its type"), a.where);
  a.space = Handle(check_id(H5Aget_space(a.attr.id()), a.where, "reading its dataspace"), a.where);
  a.dtype = classify(a.type.id());
  a.shape = space_shape(a.space.id(), a.where);
  return a;
}

template <class T> std::vector<T> read_attr_numeric(const Object& obj, const std::string& attr) {
  OpenAttr a = open_attr(obj, attr);
  const bool want_float = std::is_floating_point_v<T>;
  T2_CHECK(want_float ? (is_float(a.dtype) || is_int(a.dtype)) : is_int(a.dtype),
           "HDF5: %s: expected %s attribute, found %s", a.where.c_str(),
           want_float ? "a numeric" : "an integer", dtype_name(a.dtype));
  std::vector<T> out(static_cast<size_t>(product(a.shape)));
  if (!out.empty()) check(H5Aread(a.attr.id(), mem_type<T>(), out.data()), a.where, "reading");
  return out;
}

}  // namespace

void Object::set_attr(const std::string& attr, const std::string& value) {
  const std::string w = where() + " attribute '" + attr + "'";
  Handle t = vlen_string_type(w);
  Handle space(check_id(H5Screate(H5S_SCALAR), w, "creating a dataspace"), w);
  const char* p = value.c_str();
  write_attr(*this, attr, t.id(), t.id(), space.id(), &p);
}

void Object::set_attr(const std::string& attr, double value) {
  Handle space(check_id(H5Screate(H5S_SCALAR), where(), "creating a dataspace"), where());
  write_attr(*this, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.id(), &value);
}

void Object::set_attr(const std::string& attr, int64_t value) {
  Handle space(check_id(H5Screate(H5S_SCALAR), where(), "creating a dataspace"), where());
  write_attr(*this, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, space.id(), &value);
}

void Object::set_attr(const std::string& attr, std::span<const double> values) {
  const hsize_t n = values.size();
  Handle space(check_id(H5Screate_simple(1, &n, nullptr), where(), "creating a dataspace"),
               where());
  write_attr(*this, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.id(), values.data());
}

void Object::set_attr(const std::string& attr, std::span<const int64_t> values) {
  const hsize_t n = values.size();
  Handle space(check_id(H5Screate_simple(1, &n, nullptr), where(), "creating a dataspace"),
               where());
  write_attr(*this, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, space.id(), values.data());
}

std::string Object::attr_string(const std::string& attr) const {
  OpenAttr a = open_attr(*this, attr);
  T2_CHECK(a.dtype == DType::string, "HDF5: %s: expected a string attribute, found %s",
           a.where.c_str(), dtype_name(a.dtype));
  const size_t n = static_cast<size_t>(product(a.shape));
  T2_CHECK(n == 1, "HDF5: %s: expected one string, found %zu", a.where.c_str(), n);
  auto v = read_string_values(a.type.id(), 1, a.where, [&](hid_t mt, void* buf) {
    return H5Aread(a.attr.id(), mt, buf);
  });
  return v[0];
}

double Object::attr_f64(const std::string& attr) const {
  auto v = read_attr_numeric<double>(*this, attr);
  T2_CHECK(v.size() == 1, "HDF5: %s attribute '%s': expected one value, found %zu",
           where().c_str(), attr.c_str(), v.size());
  return v[0];
}

int64_t Object::attr_i64(const std::string& attr) const {
  auto v = read_attr_numeric<int64_t>(*this, attr);
  T2_CHECK(v.size() == 1, "HDF5: %s attribute '%s': expected one value, found %zu",
           where().c_str(), attr.c_str(), v.size());
  return v[0];
}

std::vector<double> Object::attr_f64_vec(const std::string& attr) const {
  return read_attr_numeric<double>(*this, attr);
}

std::vector<int64_t> Object::attr_i64_vec(const std::string& attr) const {
  return read_attr_numeric<int64_t>(*this, attr);
}

// ---- Dataset -----------------------------------------------------------------------------------

std::vector<int64_t> Dataset::shape() const {
  Handle space(check_id(H5Dget_space(id()), where(), "reading the dataspace"), where());
  return space_shape(space.id(), where());
}

int64_t Dataset::n_elements() const { return product(shape()); }

DType Dataset::dtype() const {
  Handle t(check_id(H5Dget_type(id()), where(), "reading the type"), where());
  return classify(t.id());
}

template <class T> void Dataset::read_into(std::span<T> out) const {
  const DType stored = dtype();
  const bool ok = std::is_floating_point_v<T> ? is_float(stored) : is_int(stored);
  T2_CHECK(ok, "HDF5: %s: cannot read a %s dataset as %s", where().c_str(), dtype_name(stored),
           dtype_name(dtype_of<T>()));
  const int64_t n = n_elements();
  T2_CHECK(static_cast<int64_t>(out.size()) == n,
           "HDF5: %s: dataset has %lld elements (shape %s), buffer has %zu", where().c_str(),
           static_cast<long long>(n), shape_text(shape()).c_str(), out.size());
  if (n == 0) return;
  check(H5Dread(id(), mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), where(),
        "reading the dataset");
}

template <class T> std::vector<T> Dataset::read_numeric() const {
  std::vector<T> out(static_cast<size_t>(n_elements()));
  read_into(std::span<T>(out));
  return out;
}

std::vector<float> Dataset::read_f32() const { return read_numeric<float>(); }
std::vector<double> Dataset::read_f64() const { return read_numeric<double>(); }
std::vector<int32_t> Dataset::read_i32() const { return read_numeric<int32_t>(); }
std::vector<int64_t> Dataset::read_i64() const { return read_numeric<int64_t>(); }
void Dataset::read(std::span<float> out) const { read_into(out); }
void Dataset::read(std::span<double> out) const { read_into(out); }

std::vector<std::string> Dataset::read_strings() const {
  Handle t(check_id(H5Dget_type(id()), where(), "reading the type"), where());
  T2_CHECK(classify(t.id()) == DType::string, "HDF5: %s: expected a string dataset, found %s",
           where().c_str(), dtype_name(classify(t.id())));
  return read_string_values(t.id(), static_cast<size_t>(n_elements()), where(),
                            [&](hid_t mt, void* buf) {
                              return H5Dread(id(), mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                            });
}

namespace {

// Selects rows [row0, row0 + n_rows) of a dataset's file space; returns (file space, mem space).
std::pair<Handle, Handle> select_rows(hid_t dset, const std::vector<int64_t>& shape, int64_t row0,
                                      int64_t n_rows, const std::string& where) {
  T2_CHECK(!shape.empty(), "HDF5: %s: cannot select rows of a scalar dataset", where.c_str());
  T2_CHECK(row0 >= 0 && n_rows >= 0 && row0 + n_rows <= shape[0],
           "HDF5: %s: rows [%lld, %lld) are outside the dataset's %lld rows", where.c_str(),
           static_cast<long long>(row0), static_cast<long long>(row0 + n_rows),
           static_cast<long long>(shape[0]));
  Handle fspace(check_id(H5Dget_space(dset), where, "reading the dataspace"), where);
  std::vector<hsize_t> start(shape.size(), 0), count(shape.begin(), shape.end());
  start[0] = static_cast<hsize_t>(row0);
  count[0] = static_cast<hsize_t>(n_rows);
  check(H5Sselect_hyperslab(fspace.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                            nullptr),
        where, "selecting rows");
  Handle mspace(check_id(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                         where, "creating a dataspace"),
                where);
  return {std::move(fspace), std::move(mspace)};
}

int64_t row_length(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

}  // namespace

void Dataset::read_rows(int64_t row0, int64_t n_rows, std::span<float> out) const {
  const auto s = shape();
  T2_CHECK(is_float(dtype()), "HDF5: %s: cannot read a %s dataset as f32", where().c_str(),
           dtype_name(dtype()));
  T2_CHECK(static_cast<int64_t>(out.size()) == n_rows * row_length(s),
           "HDF5: %s: %lld rows need %lld values, buffer has %zu", where().c_str(),
           static_cast<long long>(n_rows), static_cast<long long>(n_rows * row_length(s)),
           out.size());
  if (n_rows == 0) return;
  auto [fs, ms] = select_rows(id(), s, row0, n_rows, where());
  check(H5Dread(id(), H5T_NATIVE_FLOAT, ms.id(), fs.id(), H5P_DEFAULT, out.data()), where(),
        "reading rows");
}

template <class T> void Dataset::write_rows_impl(int64_t row0, std::span<const T> data) {
  const auto s = shape();
  const int64_t len = row_length(s);
  T2_CHECK(len > 0 && static_cast<int64_t>(data.size()) % len == 0,
           "HDF5: %s: %zu values are not a whole number of rows of %lld", where().c_str(),
           data.size(), static_cast<long long>(len));
  const int64_t n_rows = static_cast<int64_t>(data.size()) / len;
  if (n_rows == 0) return;
  auto [fs, ms] = select_rows(id(), s, row0, n_rows, where());
  check(H5Dwrite(id(), mem_type<T>(), ms.id(), fs.id(), H5P_DEFAULT, data.data()), where(),
        "writing rows");
}

template <class T> void Dataset::append_impl(std::span<const T> data) {
  auto s = shape();
  const int64_t len = row_length(s);
  T2_CHECK(len > 0 && static_cast<int64_t>(data.size()) % len == 0,
           "HDF5: %s: %zu values are not a whole number of rows of %lld", where().c_str(),
           data.size(), static_cast<long long>(len));
  const int64_t row0 = s[0];
  s[0] += static_cast<int64_t>(data.size()) / len;
  std::vector<hsize_t> dims(s.begin(), s.end());
  check(H5Dset_extent(id(), dims.data()), where(),
        "growing the dataset (was it created with extendible = true?)");
  write_rows_impl(row0, data);
}

void Dataset::write_rows(int64_t r, std::span<const float> d) { write_rows_impl(r, d); }
void Dataset::write_rows(int64_t r, std::span<const double> d) { write_rows_impl(r, d); }
void Dataset::write_rows(int64_t r, std::span<const int32_t> d) { write_rows_impl(r, d); }
void Dataset::write_rows(int64_t r, std::span<const int64_t> d) { write_rows_impl(r, d); }
void Dataset::append(std::span<const float> d) { append_impl(d); }
void Dataset::append(std::span<const double> d) { append_impl(d); }
void Dataset::append(std::span<const int32_t> d) { append_impl(d); }
void Dataset::append(std::span<const int64_t> d) { append_impl(d); }

void Dataset::append(const std::vector<std::string>& data) {
  auto s = shape();
  T2_CHECK(s.size() == 1 && dtype() == DType::string,
           "HDF5: %s: appending strings needs a 1-D string dataset", where().c_str());
  if (data.empty()) return;
  const int64_t row0 = s[0];
  hsize_t dims = static_cast<hsize_t>(row0) + data.size();
  check(H5Dset_extent(id(), &dims), where(),
        "growing the dataset (was it created with extendible = true?)");
  auto [fs, ms] = select_rows(id(), {static_cast<int64_t>(dims)}, row0,
                              static_cast<int64_t>(data.size()), where());
  std::vector<const char*> ptrs;
  for (const auto& x : data) ptrs.push_back(x.c_str());
  Handle t = vlen_string_type(where());
  check(H5Dwrite(id(), t.id(), ms.id(), fs.id(), H5P_DEFAULT, ptrs.data()), where(),
        "appending strings");
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

Dataset Group::write(const std::string& p, std::span<const float> d,
                     const std::vector<int64_t>& s, const DatasetOptions& o) {
  return write_impl(p, d, s, o);
}
Dataset Group::write(const std::string& p, std::span<const double> d,
                     const std::vector<int64_t>& s, const DatasetOptions& o) {
  return write_impl(p, d, s, o);
}
Dataset Group::write(const std::string& p, std::span<const int32_t> d,
                     const std::vector<int64_t>& s, const DatasetOptions& o) {
  return write_impl(p, d, s, o);
}
Dataset Group::write(const std::string& p, std::span<const int64_t> d,
                     const std::vector<int64_t>& s, const DatasetOptions& o) {
  return write_impl(p, d, s, o);
}

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

}  // namespace t2::io::h5
