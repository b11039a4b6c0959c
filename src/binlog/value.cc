// Rendering values as the server's text protocol shows them, and as SQL literals.
#include "binlog/value.h"

#include <charconv>
#include <cstdio>

namespace sealgate::binlog {
namespace {

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = unsigned(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = int64_t(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = int(yy + (*m <= 2));
}

void AppendFraction(const Value& v, std::string* out) {
  if (v.fsp == 0) return;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06u", unsigned(v.t.micros % 1000000));
  out->push_back('.');
  out->append(buf, v.fsp > 6 ? 6 : v.fsp);
}

std::string DateText(unsigned y, unsigned m, unsigned d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", y, m, d);
  return buf;
}

std::string TimeText(bool negative, unsigned h, unsigned m, unsigned s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%02u:%02u:%02u", negative ? "-" : "", h, m, s);
  return buf;
}

std::string FloatText(double d, bool single) {
  char buf[64];
  auto res = single ? std::to_chars(buf, buf + sizeof buf, float(d)) : std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (auto e = s.find("e+"); e != std::string::npos) s.erase(e + 1, 1);
  return s;
}

std::string Labels(const Value& v, const ColumnDef* c) {
  if (!c || c->enum_values.empty()) return std::to_string(v.u);
  if (v.kind == ValueKind::kEnum) {
    if (v.u == 0) return "";
    return v.u <= c->enum_values.size() ? c->enum_values[v.u - 1] : std::to_string(v.u);
  }
  std::string out;
  for (size_t i = 0; i < c->enum_values.size() && i < 64; ++i) {
    if (!(v.u >> i & 1)) continue;
    if (!out.empty()) out.push_back(',');
    out += c->enum_values[i];
  }
  return out;
}

std::string Hex(const std::string& s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char ch : s) {
    out.push_back(digits[ch >> 4]);
    out.push_back(digits[ch & 15]);
  }
  return out;
}

}  // namespace

std::string ValueToText(const Value& v, const ColumnDef* column) {
  switch (v.kind) {
    case ValueKind::kMissing:
    case ValueKind::kNull: return "NULL";
    case ValueKind::kInt: return std::to_string(v.i);
    case ValueKind::kUInt: return std::to_string(v.u);
    case ValueKind::kFloat: return FloatText(v.d, true);
    case ValueKind::kDouble: return FloatText(v.d, false);
    case ValueKind::kYear: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04u", unsigned(v.u));
      return buf;
    }
    case ValueKind::kDate: return DateText(v.t.year, v.t.month, v.t.day);
    case ValueKind::kTime: {
      std::string s = TimeText(v.t.negative, v.t.hour, v.t.minute, v.t.second);
      AppendFraction(v, &s);
      return s;
    }
    case ValueKind::kDateTime: {
      std::string s = DateText(v.t.year, v.t.month, v.t.day) + " " + TimeText(false, v.t.hour, v.t.minute, v.t.second);
      AppendFraction(v, &s);
      return s;
    }
    case ValueKind::kTimestamp: {
      std::string s;
      if (v.i == 0 && v.t.micros == 0) {
        s = "0000-00-00 00:00:00";
      } else {
        int64_t days = v.i / 86400, secs = v.i % 86400;
        int y;
        unsigned m, d;
        CivilFromDays(days, &y, &m, &d);
        s = DateText(unsigned(y), m, d) + " " +
            TimeText(false, unsigned(secs / 3600), unsigned(secs / 60 % 60), unsigned(secs % 60));
      }
      AppendFraction(v, &s);
      return s;
    }
    case ValueKind::kEnum:
    case ValueKind::kSet: return Labels(v, column);
    case ValueKind::kBit: return std::to_string(v.u);
    case ValueKind::kDecimal:
    case ValueKind::kBytes:
    case ValueKind::kJson:
    case ValueKind::kGeometry: return v.bytes;
  }
  return "";
}

std::string ValueToSqlLiteral(const Value& v, const ColumnDef* column) {
  switch (v.kind) {
    case ValueKind::kMissing:
    case ValueKind::kNull: return "NULL";
    case ValueKind::kFloat:
    case ValueKind::kDouble: {
      std::string s = FloatText(v.d, v.kind == ValueKind::kFloat);
      return s == "inf" || s == "-inf" || s == "nan" ? "NULL" : s;
    }
    case ValueKind::kEnum:
    case ValueKind::kSet:
    case ValueKind::kBit: return std::to_string(v.u);
    case ValueKind::kBytes:
    case ValueKind::kJson:
    case ValueKind::kGeometry:
      if (v.bytes.empty()) return "''";
      return "X'" + Hex(v.bytes) + "'";
    case ValueKind::kDate:
    case ValueKind::kTime:
    case ValueKind::kDateTime:
    case ValueKind::kTimestamp: return "'" + ValueToText(v, column) + "'";
    default: return ValueToText(v, column);
  }
}

}  // namespace sealgate::binlog
