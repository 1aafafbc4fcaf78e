#include "device/platform.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "common/error.h"
#include "common/file_io.h"
#include "device/embedded_platforms.h"

namespace tpulab::device {

namespace {

constexpr const char* kProfileName = "calibrated_profile";

std::string read_text(const std::string& path) {
  return read_text_file(path, file_limits::kConfig, "TOML file");
}

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw UsageError(fmt::format("malformed TOML: {}", e.description()),
                     fmt::format("{}:{}:{}", source, b.line, b.column));
  }
}

// Reads typed keys of one table and rejects keys nobody reads (typos must not pass silently).
class Keys {
 public:
  Keys(const toml::table* t, std::string where) : t_(t), where_(std::move(where)) {}
  bool has(const std::string& k) const { return t_ && t_->contains(k); }
  double number(const std::string& k, double fallback, bool required = false) {
    used_.insert(k);
    if (!has(k)) {
      if (required) throw UsageError(fmt::format("missing key '{}'", k), where_);
      return fallback;
    }
    auto v = (*t_)[k].value<double>();
    if (!v || !std::isfinite(*v) || *v < 0)
      throw UsageError(fmt::format("'{}' must be a non-negative number", k), where_);
    return *v;
  }
  // A whole number within [lo, hi]: 4.7 and 1e300 are typos, not sizes.
  int64_t whole(const std::string& k, int64_t fallback, int64_t lo, int64_t hi) {
    const double v = number(k, static_cast<double>(fallback));
    if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
      throw UsageError(fmt::format("'{}' must be a whole number from {} to {}", k, lo, hi), where_);
    return static_cast<int64_t>(v);
  }
  std::string text(const std::string& k, const std::string& fallback, bool required = false) {
    used_.insert(k);
    if (!has(k)) {
      if (required) throw UsageError(fmt::format("missing key '{}'", k), where_);
      return fallback;
    }
    auto v = (*t_)[k].value<std::string>();
    if (!v) throw UsageError(fmt::format("'{}' must be a string", k), where_);
    return *v;
  }
  const toml::table* table(const std::string& k) {
    used_.insert(k);
    if (!has(k)) return nullptr;
    const toml::table* sub = (*t_)[k].as_table();
    if (!sub) throw UsageError(fmt::format("'{}' must be a table", k), where_);
    return sub;
  }
  void reject_unknown() const {
    if (!t_) return;
    for (const auto& [k, v] : *t_)
      if (!used_.count(std::string(k.str())))
        throw UsageError(fmt::format("unknown key '{}'", k.str()), where_);
  }

 private:
  const toml::table* t_;
  std::string where_;
  std::set<std::string> used_;
};

}  // namespace

std::vector<std::string> platform_names() {
  std::vector<std::string> names;
  for (const auto& [name, text] : embedded_platform_files())
    if (name != kProfileName) names.push_back(name);
  return names;
}

std::string builtin_platform_text(const std::string& name) {
  const auto& files = embedded_platform_files();
  auto it = files.find(name);
  if (it == files.end() || name == kProfileName) {
    std::string known;
    for (const auto& n : platform_names()) known += (known.empty() ? "" : ", ") + n;
    throw FieldError("platform", fmt::format("unknown platform '{}' (known: {})", name, known));
  }
  return it->second;
}

CalibratedProfile parse_profile(const std::string& text, const std::string& source) {
  toml::table root = parse_toml(text, source);
  Keys top(&root, source);
  CalibratedProfile p;
  p.source = top.text("source", "");
  Keys chip(top.table("chip"), source + " [chip]");
  p.chip.mac_efficiency = chip.number("mac_efficiency", 0, true);
  p.chip.depthwise_mac_factor = chip.number("depthwise_mac_factor", 0, true);
  p.chip.op_overhead_us = chip.number("op_overhead_us", 0, true);
  p.chip.vector_elements_per_cycle = chip.number("vector_elements_per_cycle", 0, true);
  chip.reject_unknown();
  if (p.chip.mac_efficiency <= 0 || p.chip.mac_efficiency > 1)
    throw UsageError("mac_efficiency must be in (0, 1]", source + " [chip]");
  if (p.chip.vector_elements_per_cycle <= 0)
    throw UsageError("vector_elements_per_cycle must be positive", source + " [chip]");
  if (const toml::table* links = top.table("link")) {
    for (const auto& [kind, node] : *links) {
      std::string where = fmt::format("{} [link.{}]", source, kind.str());
      Keys k(node.as_table(), where);
      if (!node.as_table()) throw UsageError("must be a table", where);
      LinkSpec l;
      l.kind = std::string(kind.str());
      l.effective_mb_s = k.number("effective_mb_s", 0, true);
      l.invoke_overhead_us = k.number("invoke_overhead_us", 0, true);
      if (l.effective_mb_s <= 0) throw UsageError("effective_mb_s must be positive", where);
      k.reject_unknown();
      p.links[l.kind] = l;
    }
  }
  if (const toml::table* hosts = top.table("host")) {
    for (const auto& [kind, node] : *hosts) {
      std::string where = fmt::format("{} [host.{}]", source, kind.str());
      if (!node.as_table()) throw UsageError("must be a table", where);
      Keys k(node.as_table(), where);
      HostSpec h;
      h.kind = std::string(kind.str());
      h.gmacs = k.number("gmacs", 0, true);
      h.ns_per_element = k.number("ns_per_element", 0, true);
      if (h.gmacs <= 0) throw UsageError("gmacs must be positive", where);
      k.reject_unknown();
      p.hosts[h.kind] = h;
    }
  }
  top.reject_unknown();
  return p;
}

const CalibratedProfile& builtin_profile() {
  static const CalibratedProfile p = parse_profile(embedded_platform_files().at(kProfileName),
                                                   "src/device/platforms/calibrated_profile.toml");
  return p;
}

CalibratedProfile load_profile_file(const std::string& path) {
  return parse_profile(read_text(path), path);
}

namespace {

// A TOML basic string: the text of a profile that loaded (`source`, link and host kinds) may hold
// quotes, backslashes and control characters, which must not end up raw in the file.
std::string toml_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  return out + '"';
}

// A key bare where TOML allows it, else quoted ("usb 3" or "a.b" would change the table).
std::string toml_key(std::string_view k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? std::string(k) : toml_quoted(k);
}

}  // namespace

std::string profile_to_toml(const CalibratedProfile& p) {
  std::string s =
      "# Fitted by `tpulab calibrate` (least squares on log error). Each value is a\n"
      "# free parameter of the Edge TPU model; see src/device/edgetpu/spec.h and\n"
      "# src/device/platform.h for what it means.\n";
  s += fmt::format("source = {}\n\n[chip]\n", toml_quoted(p.source));
  s += fmt::format("mac_efficiency = {:.6g}\n", p.chip.mac_efficiency);
  s += fmt::format("depthwise_mac_factor = {:.6g}\n", p.chip.depthwise_mac_factor);
  s += fmt::format("op_overhead_us = {:.6g}\n", p.chip.op_overhead_us);
  s += fmt::format("vector_elements_per_cycle = {:.6g}\n", p.chip.vector_elements_per_cycle);
  for (const auto& [kind, l] : p.links)
    s += fmt::format("\n[link.{}]\neffective_mb_s = {:.6g}\ninvoke_overhead_us = {:.6g}\n",
                     toml_key(kind), l.effective_mb_s, l.invoke_overhead_us);
  for (const auto& [kind, h] : p.hosts)
    s += fmt::format("\n[host.{}]\ngmacs = {:.6g}\nns_per_element = {:.6g}\n", toml_key(kind),
                     h.gmacs, h.ns_per_element);
  return s;
}

namespace {

// Every ChipSpec field, as the [chip] table of a platform TOML names it: a study can change any
// of them without recompiling (spec.h says what each means and where its value comes from).
void read_chip_spec(Keys& chip, ChipSpec& c) {
  constexpr int64_t kBig = int64_t{1} << 40;
  c.macs_per_cycle = chip.whole("macs_per_cycle", c.macs_per_cycle, 1, kBig);
  c.sram_bytes = chip.whole("sram_bytes", c.sram_bytes, 0, kBig);
  c.activation_reserve_factor =
      chip.number("activation_reserve_factor", c.activation_reserve_factor);
  c.activation_reserve_cap_bytes =
      chip.whole("activation_reserve_cap_bytes", c.activation_reserve_cap_bytes, 0, kBig);
  struct Field {
    const char* key;
    int32_t ChipSpec::*member;
    int32_t lo;
  };
  static constexpr Field kFields[] = {
      {"in_channel_quantum", &ChipSpec::in_channel_quantum, 1},
      {"out_channel_quantum", &ChipSpec::out_channel_quantum, 1},
      {"small_out_channel_quantum", &ChipSpec::small_out_channel_quantum, 1},
      {"tiny_out_channels", &ChipSpec::tiny_out_channels, 1},
      {"depthwise_channel_quantum", &ChipSpec::depthwise_channel_quantum, 1},
      {"depthwise_tap_bytes", &ChipSpec::depthwise_tap_bytes, 0},
      {"bias_bytes", &ChipSpec::bias_bytes, 0},
      {"per_channel_quant_bytes", &ChipSpec::per_channel_quant_bytes, 0},
      {"softmax_bytes_per_class", &ChipSpec::softmax_bytes_per_class, 0},
      {"softmax_class_quantum", &ChipSpec::softmax_class_quantum, 1},
      {"softmax_extra_bytes", &ChipSpec::softmax_extra_bytes, 0},
      {"softmax_extra_min_classes", &ChipSpec::softmax_extra_min_classes, 0},
      {"lstm_extra_bytes", &ChipSpec::lstm_extra_bytes, 0},
      {"layer_alignment_bytes", &ChipSpec::layer_alignment_bytes, 1},
      {"mac_out_channel_quantum", &ChipSpec::mac_out_channel_quantum, 1},
      {"mac_in_channel_quantum", &ChipSpec::mac_in_channel_quantum, 1},
      {"mac_depthwise_channel_quantum", &ChipSpec::mac_depthwise_channel_quantum, 1},
      {"max_softmax_elements", &ChipSpec::max_softmax_elements, 0},
      {"max_resize_factor", &ChipSpec::max_resize_factor, 1},
  };
  for (const Field& f : kFields)
    c.*f.member = static_cast<int32_t>(chip.whole(f.key, c.*f.member, f.lo, INT32_MAX));
  c.instruction_bytes_base =
      chip.whole("instruction_bytes_base", c.instruction_bytes_base, 0, kBig);
  c.instruction_bytes_per_op =
      chip.whole("instruction_bytes_per_op", c.instruction_bytes_per_op, 0, kBig);
}

}  // namespace

Platform parse_platform(const std::string& text, const std::string& source,
                        const CalibratedProfile& profile) {
  toml::table root = parse_toml(text, source);
  Keys top(&root, source);
  Platform p;
  p.name = top.text("name", "", true);
  p.description = top.text("description", "");
  double tpus = top.number("tpus", 1);
  if (tpus < 1 || tpus > 64 || tpus != std::floor(tpus))
    throw UsageError("'tpus' must be a whole number from 1 to 64", source);
  p.tpus = static_cast<int>(tpus);
  p.shared_link_mb_s = top.number("shared_link_mb_s", 0);
  p.calibration = profile.chip;

  Keys chip(top.table("chip"), source + " [chip]");
  p.chip.clock = parse_clock_mode(chip.text("clock", "max"));
  read_chip_spec(chip, p.chip);
  chip.reject_unknown();

  const std::string link_where = source + " [link]";
  Keys link(top.table("link"), link_where);
  p.link.kind = link.text("kind", "", true);
  p.link.nominal_mb_s = link.number("nominal_mb_s", 0);
  auto lit = profile.links.find(p.link.kind);
  if (lit != profile.links.end()) {
    p.link.effective_mb_s = lit->second.effective_mb_s;
    p.link.invoke_overhead_us = lit->second.invoke_overhead_us;
  }
  p.link.effective_mb_s = link.number("effective_mb_s", p.link.effective_mb_s);
  p.link.invoke_overhead_us = link.number("invoke_overhead_us", p.link.invoke_overhead_us);
  if (p.link.effective_mb_s <= 0)
    throw UsageError(
        fmt::format("link kind '{}' has no calibrated bandwidth; set effective_mb_s", p.link.kind),
        link_where);
  link.reject_unknown();

  const std::string host_where = source + " [host]";
  Keys host(top.table("host"), host_where);
  p.host.kind = host.text("kind", "", true);
  p.host.active_power_w = host.number("active_power_w", 0);
  auto hit = profile.hosts.find(p.host.kind);
  if (hit != profile.hosts.end()) {
    p.host.gmacs = hit->second.gmacs;
    p.host.ns_per_element = hit->second.ns_per_element;
  }
  p.host.gmacs = host.number("gmacs", p.host.gmacs);
  p.host.ns_per_element = host.number("ns_per_element", p.host.ns_per_element);
  if (p.host.gmacs <= 0)
    throw UsageError(fmt::format("host kind '{}' has no calibrated speed; set gmacs", p.host.kind),
                     host_where);
  host.reject_unknown();

  Keys energy(top.table("energy"), source + " [energy]");
  p.energy.tpu_idle_w = energy.number("tpu_idle_w", 0, true);
  p.energy.mac_pj = energy.number("mac_pj", 0, true);
  p.energy.link_byte_pj = energy.number("link_byte_pj", 0, true);
  energy.reject_unknown();
  top.reject_unknown();
  return p;
}

void apply_profile(Platform& p, const CalibratedProfile& profile) {
  auto l = profile.links.find(p.link.kind);
  auto h = profile.hosts.find(p.host.kind);
  if (l == profile.links.end() || h == profile.hosts.end())
    throw UsageError(fmt::format("the profile has no numbers for link '{}' or host '{}'",
                                 p.link.kind, p.host.kind),
                     p.name);
  p.calibration = profile.chip;
  p.link.effective_mb_s = l->second.effective_mb_s;
  p.link.invoke_overhead_us = l->second.invoke_overhead_us;
  p.host.gmacs = h->second.gmacs;
  p.host.ns_per_element = h->second.ns_per_element;
}

Platform load_platform(const std::string& name) { return load_platform(name, builtin_profile()); }
Platform load_platform(const std::string& name, const CalibratedProfile& profile) {
  return parse_platform(builtin_platform_text(name), "platform " + name, profile);
}
Platform load_platform_file(const std::string& path) {
  return load_platform_file(path, builtin_profile());
}
Platform load_platform_file(const std::string& path, const CalibratedProfile& profile) {
  return parse_platform(read_text(path), path, profile);
}

}  // namespace tpulab::device
