// HDF5 layer, part 2: attributes (on groups, files and datasets) and datasets (whole reads,
// row reads/writes, appends). Shared helpers are in h5_internal.h.
#include <algorithm>

#include "base/error.h"
#include "io/h5.h"
#include "io/h5_internal.h"

namespace t2::io::h5 {

using namespace detail;

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

// The one value of a numeric attribute.
template <class T>
T one_value(const Object& o, const std::string& attr) {
  auto v = read_attr_numeric<T>(o, attr);
  T2_CHECK(v.size() == 1, "HDF5: %s attribute '%s': expected one value, found %zu",
           o.where().c_str(), attr.c_str(), v.size());
  return v[0];
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

double Object::attr_f64(const std::string& attr) const { return one_value<double>(*this, attr); }
int64_t Object::attr_i64(const std::string& attr) const { return one_value<int64_t>(*this, attr); }

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

void Dataset::write_rows(int64_t r, std::span<const double> d) { write_rows_impl(r, d); }
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

}  // namespace t2::io::h5
