// The version of furoshiki, from CMake's project(VERSION).
#pragma once

#include <string_view>

namespace furoshiki {
inline constexpr std::string_view kVersion = FUROSHIKI_VERSION;
}  // namespace furoshiki
