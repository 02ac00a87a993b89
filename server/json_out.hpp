// json_out.hpp - appending JSON text to a reused std::string with std::to_chars (no locale, no
// allocation once the string has grown to its working size).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace rtml::server::json {

inline void raw(std::string& o, std::string_view s) { o.append(s.data(), s.size()); }

inline void str(std::string& o, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  o.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    o.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        o += "\\u00";
        o.push_back(kHex[c >> 4]);
        o.push_back(kHex[c & 15]);
    }
  }
  o.append(s.data() + run, s.size() - run);
  o.push_back('"');
}

template <class T>
inline void num(std::string& o, T v) {
  char b[40];
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) {  // JSON has no NaN/Inf
      o += "null";
      return;
    }
  }
  auto r = std::to_chars(b, b + sizeof b, v);
  o.append(b, r.ptr);
}

}  // namespace rtml::server::json
