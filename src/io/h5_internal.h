// Private helpers shared by h5.cpp (handles, groups, files) and h5_data.cpp (attributes,
// datasets): checked HDF5 calls that throw t2::Error, type mapping, shapes. Not part of the API.
#pragma once

#include <hdf5.h>

#include <array>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "io/h5.h"

namespace t2::io::h5::detail {

void silence_hdf5();
// Throws t2::Error "HDF5: WHERE: WHAT (HDF5's innermost message)" and clears HDF5's error stack.
[[noreturn]] void fail(const std::string& where, const std::string& what);
hid_t check_id(hid_t id, const std::string& where, const char* what);
int check(herr_t rc, const std::string& where, const char* what);
std::string join(const std::string& base, const std::string& child);
Handle vlen_string_type(const std::string& where);
DType classify(hid_t type);
inline bool is_float(DType t) { return t == DType::f32 || t == DType::f64; }
inline bool is_int(DType t) { return t == DType::i32 || t == DType::i64; }
std::vector<int64_t> space_shape(hid_t space, const std::string& where);
int64_t product(const std::vector<int64_t>& v);
std::string shape_text(const std::vector<int64_t>& v);
int64_t row_length(const std::vector<int64_t>& shape);  // product of all but the first dim

template <class T> inline hid_t mem_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
}

template <class T> inline hid_t file_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_STD_I32LE;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_STD_I64LE;
}

template <class T> inline DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  if constexpr (std::is_same_v<T, double>) return DType::f64;
  if constexpr (std::is_same_v<T, int32_t>) return DType::i32;
  if constexpr (std::is_same_v<T, int64_t>) return DType::i64;
}


template <class ReadFn>
inline std::vector<std::string> read_string_values(hid_t stored_type, size_t n, const std::string& where,
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

}  // namespace t2::io::h5::detail
