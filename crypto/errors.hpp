// Error codes of the crypto layer. Integrity failures are always reported as kIntegrity — never
// as wrong plaintext — whatever part of an object was damaged.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace furoshiki::crypto {

enum class CryptoErrc {
  kOk = 0,
  kIntegrity,     // authentication failed: tampered, truncated, extended, reordered, spliced, moved
  kUnknownKey,    // the tenant key named by an object is not known
  kKeyDestroyed,  // the tenant key was destroyed (organization removed): data is unreadable
  kBadKey,        // key material malformed (length, encoding)
  kOutOfRange,    // read past the end of an object
  kIo,            // the underlying source or sink failed
  kInternal,      // OpenSSL refused an operation that cannot fail on valid input
};

const boost::system::error_category& crypto_category() noexcept;

inline boost::system::error_code make_error_code(CryptoErrc e) noexcept {
  return {static_cast<int>(e), crypto_category()};
}

}  // namespace furoshiki::crypto

template <>
struct boost::system::is_error_code_enum<furoshiki::crypto::CryptoErrc> : std::true_type {};
