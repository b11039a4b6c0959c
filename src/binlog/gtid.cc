#include "binlog/gtid.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "binlog/byte_reader.h"

namespace sealgate::binlog {
namespace {

bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::strtoull(s.c_str(), nullptr, 10);
  return true;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool ParseUuid(const std::string& text, std::array<uint8_t, 16>* out) {
  std::string hex;
  for (char c : text) if (c != '-') hex.push_back(c);
  if (hex.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    char* end = nullptr;
    std::string byte = hex.substr(2 * i, 2);
    (*out)[i] = uint8_t(std::strtoul(byte.c_str(), &end, 16));
    if (end != byte.c_str() + 2) return false;
  }
  return true;
}

std::string UuidString(const std::array<uint8_t, 16>& p) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", p[0], p[1],
                p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
  return buf;
}

}  // namespace

std::string MariaGtidText(const MariaGtid& g) {
  return std::to_string(g.domain_id) + "-" + std::to_string(g.server_id) + "-" + std::to_string(g.seq_no);
}

StatusOr<MariaGtidState> MariaGtidState::Parse(const std::string& text) {
  MariaGtidState state;
  std::string t = Trim(text);
  if (t.empty()) return state;
  for (const std::string& item : Split(t, ',')) {
    auto parts = Split(Trim(item), '-');
    uint64_t d, s, q;
    if (parts.size() != 3 || !ParseU64(parts[0], &d) || !ParseU64(parts[1], &s) || !ParseU64(parts[2], &q) ||
        d > UINT32_MAX || s > UINT32_MAX) {
      return Status::InvalidArgument("bad MariaDB GTID '" + item + "' (want domain-server-seq)");
    }
    if (state.domains_.count(uint32_t(d))) return Status::InvalidArgument("GTID state names domain " + parts[0] + " twice");
    state.domains_[uint32_t(d)] = MariaGtid{uint32_t(d), uint32_t(s), q};
  }
  return state;
}

bool MariaGtidState::Contains(const MariaGtid& gtid) const {
  auto it = domains_.find(gtid.domain_id);
  return it != domains_.end() && gtid.seq_no <= it->second.seq_no;
}

std::string MariaGtidState::ToString() const {
  std::string out;
  for (const auto& [domain, g] : domains_) {
    if (!out.empty()) out += ",";
    out += MariaGtidText(g);
  }
  return out;
}

StatusOr<MysqlGtidSet> MysqlGtidSet::Parse(const std::string& text) {
  MysqlGtidSet set;
  std::string t;
  for (char c : text) if (c != '\n' && c != ' ') t.push_back(c);
  if (t.empty()) return set;
  for (const std::string& item : Split(t, ',')) {
    auto parts = Split(item, ':');
    std::array<uint8_t, 16> sid;
    if (parts.size() < 2 || !ParseUuid(parts[0], &sid)) return Status::InvalidArgument("bad GTID set item '" + item + "'");
    for (size_t i = 1; i < parts.size(); ++i) {
      auto range = Split(parts[i], '-');
      uint64_t a, b;
      if (range.size() > 2 || !ParseU64(range[0], &a) || !ParseU64(range.back(), &b) || a < 1 || b < a ||
          b > uint64_t(INT64_MAX)) {
        return Status::InvalidArgument("bad GTID interval '" + parts[i] + "'");
      }
      set.sets_[sid].push_back({int64_t(a), int64_t(b)});
    }
    auto& v = set.sets_[sid];
    std::sort(v.begin(), v.end());
    std::vector<std::pair<int64_t, int64_t>> merged;
    for (auto& iv : v) {
      if (!merged.empty() && iv.first <= merged.back().second + 1) merged.back().second = std::max(merged.back().second, iv.second);
      else merged.push_back(iv);
    }
    v = merged;
  }
  return set;
}

void MysqlGtidSet::Add(const std::array<uint8_t, 16>& sid, int64_t gno) {
  auto& v = sets_[sid];
  auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(gno, gno));
  if (it != v.begin() && std::prev(it)->second >= gno - 1) {
    auto p = std::prev(it);
    p->second = std::max(p->second, gno);
    if (it != v.end() && it->first <= p->second + 1) {
      p->second = std::max(p->second, it->second);
      v.erase(it);
    }
    return;
  }
  if (it != v.end() && it->first <= gno + 1) {
    it->first = std::min(it->first, gno);
    return;
  }
  v.insert(it, {gno, gno});
}

bool MysqlGtidSet::Contains(const std::array<uint8_t, 16>& sid, int64_t gno) const {
  auto s = sets_.find(sid);
  if (s == sets_.end()) return false;
  for (auto& iv : s->second) if (gno >= iv.first && gno <= iv.second) return true;
  return false;
}

std::string MysqlGtidSet::ToString() const {
  std::string out;
  for (const auto& [sid, ivs] : sets_) {
    if (!out.empty()) out += ",";
    out += UuidString(sid);
    for (auto& iv : ivs) {
      out += ":" + std::to_string(iv.first);
      if (iv.second != iv.first) out += "-" + std::to_string(iv.second);
    }
  }
  return out;
}

std::string MysqlGtidSet::Encode() const {
  std::string out;
  PutLE(&out, sets_.size(), 8);
  for (const auto& [sid, ivs] : sets_) {
    out.append(reinterpret_cast<const char*>(sid.data()), 16);
    PutLE(&out, ivs.size(), 8);
    for (auto& iv : ivs) {
      PutLE(&out, uint64_t(iv.first), 8);
      PutLE(&out, uint64_t(iv.second + 1), 8);  // end is exclusive on the wire
    }
  }
  return out;
}

std::string BinlogPosition::ToString() const {
  std::string out = file + ":" + std::to_string(offset);
  if (!gtid_state.empty()) out += " gtid=" + gtid_state;
  return out;
}

}  // namespace sealgate::binlog
