// The rules for identifiers people type (organization codes, e-mail logins) and the one-time
// passwords handed to new administrators, users and operators.
#pragma once

#include "crypto/context.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace furoshiki::admin {

// Organization codes: 2-32 characters, lower-case letters, digits and '-', starting with a
// letter or digit ("acme", "acme-jp"). People type them at sign-in, so no look-alikes.
bool valid_org_code(std::string_view code);

// An e-mail address as a login: trimmed and lower-cased; nullopt when it is not a plausible
// single address (one '@', non-empty local part and a dotted domain, at most 254 characters,
// no spaces, control characters, quotes or angle brackets).
std::optional<std::string> normalize_login(std::string_view email);

// Display names and organization names: 1-200 characters after trimming, no control characters.
std::optional<std::string> normalize_name(std::string_view name);

// A one-time password: 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
// grouped by four with '-' for reading aloud: about 116 bits from the context's DRBG.
std::string generate_one_time_password(const crypto::CryptoContext& ctx);

}  // namespace furoshiki::admin
