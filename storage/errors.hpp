// Error codes of the storage layer that are not an errno. Failures of the operating system come
// as boost::system::error_code in the generic category with the errno value (ENOSPC, EIO...), so
// callers can tell a full disk from a broken one.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace furoshiki::storage {

enum class StorageErrc {
  kOk = 0,
  kBadObjectId,    // not 32 lower-case hex digits: refused before it reaches a path
  kUnexpectedEnd,  // a read asked for bytes past the end of the file
  kBelowReserve,   // writing that much would cut into the configured free-space reserve
  kClosed,         // the file was closed (or committed) before this call
};

const boost::system::error_category& storage_category() noexcept;

inline boost::system::error_code make_error_code(StorageErrc e) noexcept {
  return {static_cast<int>(e), storage_category()};
}

// An errno value as an error_code (generic category).
inline boost::system::error_code errno_code(int value) noexcept { return {value, boost::system::generic_category()}; }

}  // namespace furoshiki::storage

template <>
struct boost::system::is_error_code_enum<furoshiki::storage::StorageErrc> : std::true_type {};
