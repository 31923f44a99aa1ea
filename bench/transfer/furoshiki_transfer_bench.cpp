// furoshiki_transfer_bench: whole-file upload (PUT /api/v1/files?name=, scan on) and download
// (GET /api/v1/files/{id}/content) throughput of a temporary furoshiki instance, against nginx
// over TLS with the same certificate serving and receiving the same bytes (the ceiling); the
// server's peak RSS; the upload's stages from the server's "upload_stored" log line; and clamscan
// on the same plaintext with the same signature directory. See bench/README.md.
#include "machine.hpp"
#include "servers.hpp"
#include "transfer_client.hpp"

#include "load.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/resource.h>
#include <sys/utsname.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#ifndef FUROSHIKI_DEFAULT_BINARY
#define FUROSHIKI_DEFAULT_BINARY "furoshiki"
#endif
#ifndef FUROSHIKI_SYNTHETIC_DB_SCRIPT
#define FUROSHIKI_SYNTHETIC_DB_SCRIPT "make_synthetic_db.py"
#endif

namespace {

using namespace furoshiki::bench;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr const char* kPassword = "violet tractor umbrella 8 bench";
constexpr std::uint64_t kSingleSeed = 1;
constexpr std::uint64_t kConcurrentSeed = 100;
// The uploads of round r (from 1) use the seeds above plus (r - 1) * kRoundSeedStep: libclamav
// remembers the hashes of clean files, so the same bytes scanned again would measure its cache.
// Round 1 has the bytes of nginx's static files, which clamscan scans too.
constexpr std::uint64_t kRoundSeedStep = 1000;

// Targets of issue 6 (for the report).
constexpr double kDownloadTarget = 0.70;
constexpr double kUploadTarget = 0.60;

struct Options {
  fs::path furoshiki = FUROSHIKI_DEFAULT_BINARY;
  fs::path nginx_binary = "/usr/sbin/nginx";
  std::uint64_t size_mib = 1024;
  unsigned concurrency = 8;
  std::uint64_t concurrent_mb = 100;  // 10^6 bytes each
  unsigned rounds = 1;
  unsigned client_threads = 2;
  unsigned server_threads = 0;
  fs::path db;  // an existing make_synthetic_db.py directory; empty: generate one
  fs::path script = FUROSHIKI_SYNTHETIC_DB_SCRIPT;
  std::string python = "/usr/bin/python3";
  unsigned db_md5 = 2000000;
  unsigned db_sha256 = 1000000;
  unsigned db_body = 30000;
  std::string clamscan = "/usr/bin/clamscan";
  fs::path json_file;
};

double mb_per_s(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
}
double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string header_of(const TransferResult& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

TransferResult require(TransferResult r, unsigned status, const std::string& what) {
  if (r.status != status) {
    throw std::runtime_error(what + ": expected " + std::to_string(status) + ", got " + std::to_string(r.status) + " " +
                             r.error + " " + r.body);
  }
  return r;
}

// `furoshiki org create` prints "one-time password: <24 characters>".
std::string one_time_password_in(const std::string& output) {
  constexpr std::string_view kLabel = "one-time password:";
  const auto at = output.find(kLabel);
  if (at == std::string::npos) return {};
  const auto start = output.find_first_not_of(' ', at + kLabel.size());
  return start == std::string::npos ? std::string() : output.substr(start, 24);
}

// Signs the organization's first administrator in, replaces the one-time password and creates an
// API token (the answer's "value").
std::string api_token(boost::asio::ssl::context& tls, const Endpoint& server, const std::string& one_time) {
  const json::object login{{"org", "bench"}, {"login", "admin@bench.test"}, {"password", one_time}};
  const HeaderList json_type{{"Content-Type", "application/json"}};
  const auto signed_in =
      require(call(tls, server, "POST", "/api/v1/auth/login", json_type, json::serialize(login)), 200, "sign-in");
  const std::string cookie = header_of(signed_in, "Set-Cookie").substr(0, header_of(signed_in, "Set-Cookie").find(';'));
  const std::string csrf(json::parse(signed_in.body).at("csrf_token").as_string());
  HeaderList session{{"Content-Type", "application/json"}, {"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  const auto changed = require(call(tls, server, "POST", "/api/v1/me/password", session,
                                    json::serialize(json::object{{"current", one_time}, {"new", kPassword}})),
                               204, "password change");
  const std::string new_cookie = header_of(changed, "Set-Cookie");
  session = {{"Content-Type", "application/json"},
             {"Cookie", new_cookie.substr(0, new_cookie.find(';'))},
             {"X-CSRF-Token", header_of(changed, "X-CSRF-Token")}};
  const auto token = require(call(tls, server, "POST", "/api/v1/me/tokens", session,
                                  json::serialize(json::object{{"name", "transfer-bench"}, {"expires_in_days", 1}})),
                             201, "API token");
  return std::string(json::parse(token.body).at("value").as_string());
}

// The scanner loads the database in the background: uploads answer 503 until /readyz says 200.
void wait_until_ready(boost::asio::ssl::context& tls, const Endpoint& server) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (call(tls, server, "GET", "/readyz", {}).status != 200) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("furoshiki not ready after 300 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Writes `bytes` bytes of ByteStream(seed) to `path`, a block at a time.
void write_stream(const fs::path& path, std::uint64_t bytes, std::uint64_t seed) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const ByteStream stream(seed);
  std::vector<std::uint8_t> block(ByteStream::kBlockBytes);
  for (std::uint64_t at = 0, index = 0; at < bytes; ++index) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), bytes - at));
    stream.fill(index, std::span(block.data(), n));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    at += n;
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

double children_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Measured {
  std::string name;           // e.g. "upload 1x1024MiB"
  double furoshiki_mb_s = 0;  // aggregate: all bytes / wall time of the whole batch
  double nginx_mb_s = 0;
  double furoshiki_peak_rss_mib = 0;
  std::string note;  // errors, "route not available"
};

// One batch of transfers against one server; prints a line and returns MB/s (0 on any failure,
// with `note` set).
template <typename Spec, typename Run>
double batch(const std::string& server, const std::string& name, Run run, const std::vector<Spec>& specs,
             std::string& note, std::vector<TransferResult>* results_out = nullptr) {
  auto [results, wall] = run(specs);
  std::uint64_t bytes = 0;
  std::string problem;
  for (const auto& r : results) {
    bytes += r.bytes;
    if (!r.ok() || (r.status != 200 && r.status != 201 && r.status != 204)) {
      if (problem.empty())
        problem = server + ": " + std::to_string(r.status) + " " + r.error + " " + r.body.substr(0, 200);
    }
  }
  const double rate = problem.empty() ? mb_per_s(bytes, wall) : 0;
  std::printf("%-10s %-28s %12.0f MB %8.2f s %9.1f MB/s %s\n", server.c_str(), name.c_str(),
              static_cast<double>(bytes) / 1e6, wall, rate, problem.c_str());
  std::fflush(stdout);
  if (!problem.empty() && note.empty()) note = problem;
  if (results_out) *results_out = std::move(results);
  return rate;
}

int run(const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);
  const unsigned server_threads =
      options.server_threads > 0 ? options.server_threads : std::max(1u, std::thread::hardware_concurrency());
  const std::uint64_t single_bytes = options.size_mib * kMiB;
  const std::uint64_t each_bytes = options.concurrent_mb * 1000 * 1000;

  TempDir temp;
  // Inputs on disk: the nginx copies of the single and concurrent files, what nginx receives, and
  // what furoshiki stores (sealed, slightly larger), each once.
  const std::uint64_t needed = 3 * (single_bytes + options.concurrency * each_bytes) + (1ULL << 30);
  const auto space = fs::space(temp.path());
  if (space.available < needed) {
    throw std::runtime_error("need " + std::to_string(needed / kMiB) + " MiB free under " + temp.path().string() +
                             ", have " + std::to_string(space.available / kMiB));
  }

  utsname uts{};
  ::uname(&uts);
  json::object summary;
  summary["date"] = utc_now();
  summary["machine"] = {{"cpu", cpu_model()},
                        {"cores", std::thread::hardware_concurrency()},
                        {"kernel", std::string(uts.sysname) + " " + uts.release},
                        {"load_average_at_start", load_average()}};
  summary["settings"] = {{"size_mib", options.size_mib},
                         {"concurrency", options.concurrency},
                         {"concurrent_mb", options.concurrent_mb},
                         {"rounds", options.rounds},
                         {"client_threads", options.client_threads},
                         {"server_threads", server_threads}};
  std::printf("furoshiki_transfer_bench  %s  load %s\n", utc_now().c_str(), load_average().c_str());

  // The signature database: the synthetic one (generated, or --db), plus the test signatures
  // `furoshiki init` installs; clamscan gets the same directory.
  fs::path db = options.db;
  if (db.empty()) {
    db = temp.path() / "synthetic-db";
    std::printf("generating the synthetic database (%u MD5, %u SHA-256, %u body signatures)...\n", options.db_md5,
                options.db_sha256, options.db_body);
    std::fflush(stdout);
    const auto made =
        run_command({options.python, options.script.string(), db.string(), "--md5", std::to_string(options.db_md5),
                     "--sha256", std::to_string(options.db_sha256), "--body", std::to_string(options.db_body)},
                    600);
    if (made.status != 0) throw std::runtime_error("make_synthetic_db.py failed:\n" + made.output);
  }
  fs::path signatures;
  std::string one_time;
  const auto before_serve = [&](const fs::path& instance, const fs::path& config) {
    signatures = instance / "data/signatures";
    if (!fs::is_directory(signatures)) throw std::runtime_error("no signature directory at " + signatures.string());
    for (const auto& entry : fs::directory_iterator(db)) {
      if (entry.is_regular_file()) fs::copy_file(entry.path(), signatures / entry.path().filename());
    }
    const auto org = run_command({options.furoshiki.string(), "org", "create", "--config", config.string(), "--code",
                                  "bench", "--name", "Bench", "--admin-email", "admin@bench.test"});
    one_time = one_time_password_in(org.output);
    if (org.status != 0 || one_time.empty()) throw std::runtime_error("furoshiki org create failed:\n" + org.output);
  };
  FuroshikiServer furoshiki(options.furoshiki, temp.path(), server_threads, "info", before_serve);
  furoshiki.process().watch("\"upload_stored\"");
  const pid_t server_pid = furoshiki.process().pid();

  const std::string locations = R"(    location /files/ { root "@DIR@/www"; }
    location /upload/ {
      root "@DIR@/dav";
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
    }
)";
  NginxServer nginx(options.nginx_binary, temp.path() / "nginx", furoshiki.certificate(), furoshiki.private_key(),
                    server_threads, true, locations);
  fs::create_directories(temp.path() / "nginx/dav/upload");
  fs::create_directories(nginx.root() / "files");
  std::printf("furoshiki  %s %s:%u (pid %d)\nnginx      %s %s:%u\n", furoshiki.endpoint().version.c_str(),
              furoshiki.endpoint().host.c_str(), furoshiki.endpoint().port, static_cast<int>(server_pid),
              nginx.endpoint().version.c_str(), nginx.endpoint().host.c_str(), nginx.endpoint().port);

  auto tls = client_tls_context();
  const Endpoint fs_end{furoshiki.endpoint().host, furoshiki.endpoint().port, "localhost"};
  const Endpoint ng_end{nginx.endpoint().host, nginx.endpoint().port, "localhost"};

  std::printf("waiting for the scanner engine to load...\n");
  std::fflush(stdout);
  const auto ready_start = std::chrono::steady_clock::now();
  wait_until_ready(*tls, fs_end);
  const double ready_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ready_start).count();
  const std::string token = api_token(*tls, fs_end, one_time);
  const HeaderList bearer{{"Authorization", "Bearer " + token}, {"Content-Type", "application/octet-stream"}};
  std::printf("ready after %.1f s; server RSS peak so far %.0f MiB\n", ready_seconds,
              static_cast<double>(peak_rss_kib(server_pid)) / 1024);

  // The files nginx serves: the same bytes furoshiki receives.
  std::printf("writing the static files for nginx...\n");
  std::fflush(stdout);
  write_stream(nginx.root() / "files/single.bin", single_bytes, kSingleSeed);
  for (unsigned i = 0; i < options.concurrency; ++i) {
    write_stream(nginx.root() / ("files/c" + std::to_string(i) + ".bin"), each_bytes, kConcurrentSeed + i);
  }

  const auto uploads = [&](const Endpoint& end) {
    return [&tls, end, threads = options.client_threads](const std::vector<UploadSpec>& specs) {
      return upload_all(*tls, end, specs, threads);
    };
  };
  const auto downloads = [&](const Endpoint& end) {
    return [&tls, end, threads = options.client_threads](const std::vector<DownloadSpec>& specs) {
      return download_all(*tls, end, specs, threads);
    };
  };
  const auto upload_specs = [&](bool to_furoshiki, unsigned count, std::uint64_t bytes, std::uint64_t seed,
                                const std::string& stem, unsigned round) {
    std::vector<UploadSpec> specs;
    for (unsigned i = 0; i < count; ++i) {
      const std::string name = stem + std::to_string(round) + "-" + std::to_string(i) + ".bin";
      UploadSpec s;
      s.target = to_furoshiki ? "/api/v1/files?name=" + name : "/upload/" + name;
      s.headers = to_furoshiki ? bearer : HeaderList{{"Content-Type", "application/octet-stream"}};
      s.size = bytes;
      s.seed = seed + i;
      specs.push_back(std::move(s));
    }
    return specs;
  };
  const auto file_ids = [](const std::vector<TransferResult>& results) {
    std::vector<std::string> ids;
    for (const auto& r : results) {
      boost::system::error_code ec;
      const auto v = json::parse(r.body, ec);
      if (ec || !v.is_object() || !v.as_object().contains("id")) return std::vector<std::string>{};
      ids.emplace_back(v.at("id").as_string());
    }
    return ids;
  };
  // The server's stage split of the uploads just done, from its "upload_stored" lines (summed).
  struct Stages {
    unsigned uploads = 0;
    double receive_ms = 0, append_ms = 0, scan_wait_ms = 0, scan_ms = 0, commit_ms = 0;
  };
  const auto take_stages = [&] {
    Stages s;
    for (const auto& line : furoshiki.process().take_watched()) {
      boost::system::error_code ec;
      const auto v = json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      const auto& o = v.as_object();
      const auto number = [&](const char* key) {
        const auto* f = o.if_contains(key);
        return f && f->is_number() ? f->to_number<double>() : 0.0;
      };
      ++s.uploads;
      s.receive_ms += number("receive_ms");
      s.append_ms += number("append_ms");
      s.scan_wait_ms += number("scan_wait_ms");
      s.scan_ms += number("scan_ms");
      s.commit_ms += number("commit_ms");
    }
    return s;
  };

  std::printf("\n%-10s %-28s %15s %10s %14s\n", "server", "transfer", "bytes", "wall", "throughput");
  std::vector<Measured> rows;
  json::array rounds_json;
  Stages single_stages;
  double single_upload_wall = 0;
  bool download_route = true;
  const std::string single_name = "upload 1x" + std::to_string(options.size_mib) + "MiB";
  const std::string concurrent_name =
      "upload " + std::to_string(options.concurrency) + "x" + std::to_string(options.concurrent_mb) + "MB";
  for (unsigned round = 1; round <= options.rounds; ++round) {
    Measured up1, down1, upn, downn;
    up1.name = single_name;
    down1.name = "download 1x" + std::to_string(options.size_mib) + "MiB";
    upn.name = concurrent_name;
    downn.name = "download " + std::to_string(options.concurrency) + "x" + std::to_string(options.concurrent_mb) + "MB";
    std::vector<TransferResult> results;
    const std::uint64_t single_seed = kSingleSeed + (round - 1) * kRoundSeedStep;
    const std::uint64_t many_seed = kConcurrentSeed + (round - 1) * kRoundSeedStep;

    reset_peak_rss(server_pid);
    take_stages();
    up1.furoshiki_mb_s = batch("furoshiki", up1.name, uploads(fs_end),
                               upload_specs(true, 1, single_bytes, single_seed, "single", round), up1.note, &results);
    up1.furoshiki_peak_rss_mib = static_cast<double>(peak_rss_kib(server_pid)) / 1024;
    if (!results.empty()) single_upload_wall = results[0].seconds;
    single_stages = take_stages();
    const auto single_ids = file_ids(results);
    up1.nginx_mb_s = batch("nginx", up1.name, uploads(ng_end),
                           upload_specs(false, 1, single_bytes, kSingleSeed, "single", round), up1.note);

    reset_peak_rss(server_pid);
    if (!single_ids.empty()) {
      down1.furoshiki_mb_s = batch(
          "furoshiki", down1.name, downloads(fs_end),
          std::vector<DownloadSpec>{{"/api/v1/files/" + single_ids[0] + "/content", bearer, single_bytes, single_seed}},
          down1.note, &results);
      if (!results.empty() && (results[0].status == 404 || results[0].status == 405)) {
        std::printf("download: route not available (%u)\n", results[0].status);
        download_route = false;
        down1.note = "route not available";
        down1.furoshiki_mb_s = 0;
      }
    }
    down1.furoshiki_peak_rss_mib = static_cast<double>(peak_rss_kib(server_pid)) / 1024;
    down1.nginx_mb_s =
        batch("nginx", down1.name, downloads(ng_end),
              std::vector<DownloadSpec>{{"/files/single.bin", {}, single_bytes, kSingleSeed}}, down1.note);

    reset_peak_rss(server_pid);
    upn.furoshiki_mb_s =
        batch("furoshiki", upn.name, uploads(fs_end),
              upload_specs(true, options.concurrency, each_bytes, many_seed, "many", round), upn.note, &results);
    upn.furoshiki_peak_rss_mib = static_cast<double>(peak_rss_kib(server_pid)) / 1024;
    const auto many_ids = file_ids(results);
    const Stages many_stages = take_stages();
    upn.nginx_mb_s =
        batch("nginx", upn.name, uploads(ng_end),
              upload_specs(false, options.concurrency, each_bytes, kConcurrentSeed, "many", round), upn.note);

    reset_peak_rss(server_pid);
    if (download_route && many_ids.size() == options.concurrency) {
      std::vector<DownloadSpec> specs;
      for (unsigned i = 0; i < options.concurrency; ++i) {
        specs.push_back({"/api/v1/files/" + many_ids[i] + "/content", bearer, each_bytes, many_seed + i});
      }
      downn.furoshiki_mb_s = batch("furoshiki", downn.name, downloads(fs_end), specs, downn.note);
    } else {
      downn.note = download_route ? "uploads failed" : "route not available";
    }
    downn.furoshiki_peak_rss_mib = static_cast<double>(peak_rss_kib(server_pid)) / 1024;
    {
      std::vector<DownloadSpec> specs;
      for (unsigned i = 0; i < options.concurrency; ++i) {
        specs.push_back({"/files/c" + std::to_string(i) + ".bin", {}, each_bytes, kConcurrentSeed + i});
      }
      downn.nginx_mb_s = batch("nginx", downn.name, downloads(ng_end), specs, downn.note);
    }
    // What nginx received is not needed again (disk space).
    std::error_code ignored;
    fs::remove_all(temp.path() / "nginx/dav/upload", ignored);
    fs::create_directories(temp.path() / "nginx/dav/upload");

    json::array rows_json;
    for (const auto* m : {&up1, &down1, &upn, &downn}) {
      rows.push_back(*m);
      rows_json.push_back(json::object{{"transfer", m->name},
                                       {"furoshiki_mb_s", m->furoshiki_mb_s},
                                       {"nginx_mb_s", m->nginx_mb_s},
                                       {"ratio", ratio(m->furoshiki_mb_s, m->nginx_mb_s)},
                                       {"furoshiki_peak_rss_mib", m->furoshiki_peak_rss_mib},
                                       {"note", m->note}});
    }
    const auto stages_json = [](const Stages& s) {
      return json::object{{"uploads", s.uploads},           {"receive_ms", s.receive_ms}, {"append_ms", s.append_ms},
                          {"scan_wait_ms", s.scan_wait_ms}, {"scan_ms", s.scan_ms},       {"commit_ms", s.commit_ms}};
    };
    rounds_json.push_back(json::object{{"round", round},
                                       {"results", std::move(rows_json)},
                                       {"single_upload_stages", stages_json(single_stages)},
                                       {"concurrent_upload_stages", stages_json(many_stages)},
                                       {"load_average", load_average()}});
  }

  // clamscan on the same plaintext, same signature directory, same limits as the server's defaults;
  // once on a 1 KiB file for its database load time, which is subtracted.
  write_stream(temp.path() / "tiny.bin", 1024, 7);
  const auto clamscan = [&](const fs::path& file) {
    const double cpu_before = children_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    const auto r =
        run_command({options.clamscan, "--no-summary", "-d", signatures.string(), "--max-filesize=2147483645",
                     "--max-scansize=4294967296", "--max-scantime=600000", "--alert-exceeds-max=yes", file.string()},
                    1800);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.status != 0)
      throw std::runtime_error("clamscan " + file.string() + " exited " + std::to_string(r.status) + ":\n" + r.output);
    return std::pair{wall, children_cpu_seconds() - cpu_before};
  };
  std::printf("\nclamscan (%s) on the same %llu MiB...\n", signatures.string().c_str(),
              static_cast<unsigned long long>(options.size_mib));
  std::fflush(stdout);
  const auto [load_wall, load_cpu] = clamscan(temp.path() / "tiny.bin");
  const auto [scan_wall, scan_cpu] = clamscan(nginx.root() / "files/single.bin");
  const double clamscan_scan_s = std::max(0.0, scan_wall - load_wall);

  // Summary.
  std::printf("\nsummary (last round; MB = 10^6 bytes; aggregate MB/s = all bytes / wall time of the batch)\n");
  std::printf("%-28s %14s %10s %7s %16s  %s\n", "transfer", "furoshiki MB/s", "nginx MB/s", "ratio", "server peak RSS",
              "note");
  const std::size_t last = rows.size() >= 4 ? rows.size() - 4 : 0;
  for (std::size_t i = last; i < rows.size(); ++i) {
    const auto& m = rows[i];
    std::printf("%-28s %14.1f %10.1f %7.2f %12.0f MiB  %s\n", m.name.c_str(), m.furoshiki_mb_s, m.nginx_mb_s,
                ratio(m.furoshiki_mb_s, m.nginx_mb_s), m.furoshiki_peak_rss_mib, m.note.c_str());
  }
  const double scan_s = single_stages.scan_ms / 1000;
  const double receive_s = single_stages.receive_ms / 1000;
  std::printf(
      "\nsingle upload, server side (upload_stored): receive %.2f s (of which SHA-256 + seal + write %.2f s), "
      "scan queue %.2f s, scan %.2f s, commit %.2f s; client wall %.2f s\n",
      receive_s, single_stages.append_ms / 1000, single_stages.scan_wait_ms / 1000, scan_s,
      single_stages.commit_ms / 1000, single_upload_wall);
  std::printf("clamscan: %.2f s wall (%.2f s CPU) on the file, %.2f s (%.2f s CPU) on 1 KiB (load); scan %.2f s\n",
              scan_wall, scan_cpu, load_wall, load_cpu, clamscan_scan_s);

  json::object targets;
  if (rows.size() >= 4) {
    const auto& up1 = rows[last];
    const auto& down1 = rows[last + 1];
    const double down_ratio = ratio(down1.furoshiki_mb_s, down1.nginx_mb_s);
    // Upload without the scan: the same bytes over the client's wall time minus the scan.
    const double no_scan_s = single_upload_wall - scan_s - single_stages.scan_wait_ms / 1000;
    const double up_no_scan = single_stages.uploads > 0 && no_scan_s > 0 ? mb_per_s(single_bytes, no_scan_s) : 0;
    const double up_ratio = ratio(up_no_scan, up1.nginx_mb_s);
    std::printf("\ntargets\n");
    if (down1.note == "route not available") {
      std::printf("  download >= %.0f%% of nginx:              not measured (route not available)\n",
                  kDownloadTarget * 100);
    } else {
      std::printf("  download >= %.0f%% of nginx:              %.2f  %s\n", kDownloadTarget * 100, down_ratio,
                  down_ratio >= kDownloadTarget ? "met" : "NOT met");
    }
    std::printf("  upload excluding scan >= %.0f%% of nginx: %.1f MB/s, %.2f  %s\n", kUploadTarget * 100, up_no_scan,
                up_ratio, up_ratio >= kUploadTarget ? "met" : "NOT met");
    std::printf("  scan time <= clamscan's:                %.2f s vs %.2f s  %s\n", scan_s, clamscan_scan_s,
                single_stages.uploads > 0 && scan_s <= clamscan_scan_s ? "met" : "NOT met");
    targets = {{"download_ratio", down_ratio},
               {"upload_excluding_scan_mb_s", up_no_scan},
               {"upload_excluding_scan_ratio", up_ratio},
               {"scan_s", scan_s},
               {"clamscan_scan_s", clamscan_scan_s}};
  }
  std::printf("\nload %s (end); server peak RSS over the run is the maximum of the column above\n",
              load_average().c_str());

  summary["furoshiki"] = furoshiki.endpoint().version;
  summary["nginx"] = nginx.endpoint().version;
  summary["scanner_ready_seconds"] = ready_seconds;
  summary["rounds"] = std::move(rounds_json);
  summary["clamscan"] = {{"file_wall_s", scan_wall},
                         {"file_cpu_s", scan_cpu},
                         {"load_wall_s", load_wall},
                         {"load_cpu_s", load_cpu},
                         {"scan_s", clamscan_scan_s}};
  summary["targets"] = std::move(targets);
  summary["load_average_at_end"] = load_average();
  const std::string text = json::serialize(summary);
  std::printf("\nJSON %s\n", text.c_str());
  if (!options.json_file.empty()) {
    std::ofstream out(options.json_file);
    out << text << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + options.json_file.string());
  }
  bool complete = true;
  for (const auto& m : rows)
    complete = complete && m.nginx_mb_s > 0 && (m.furoshiki_mb_s > 0 || m.note == "route not available");
  return complete ? 0 : 1;
}

int run_cli(int argc, char** argv) {
  Options options;
  CLI::App app{"furoshiki_transfer_bench — upload/download throughput of whole files against nginx"};
  app.add_option("--furoshiki", options.furoshiki, "furoshiki binary to start a temporary instance with")
      ->capture_default_str();
  app.add_option("--nginx-binary", options.nginx_binary, "nginx binary")->capture_default_str();
  app.add_option("--size", options.size_mib, "Single transfer: MiB")->capture_default_str()->check(CLI::Range(1, 2047));
  app.add_option("--concurrency", options.concurrency, "Concurrent transfers")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  app.add_option("--concurrent-size", options.concurrent_mb, "Each concurrent transfer: MB (10^6 bytes)")
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  app.add_option("--rounds", options.rounds, "Rounds (the summary shows the last)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10u));
  app.add_option("--client-threads", options.client_threads, "Threads of the client")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  app.add_option("--server-threads", options.server_threads,
                 "furoshiki io_threads and nginx worker_processes (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  app.add_option("--db", options.db, "An existing make_synthetic_db.py directory (default: generate one)");
  app.add_option("--script", options.script, "make_synthetic_db.py")->capture_default_str();
  app.add_option("--python", options.python, "python3 for the script")->capture_default_str();
  app.add_option("--db-md5", options.db_md5, "Generated database: MD5 hash signatures")->capture_default_str();
  app.add_option("--db-sha256", options.db_sha256, "Generated database: SHA-256 hash signatures")
      ->capture_default_str();
  app.add_option("--db-body", options.db_body, "Generated database: body signatures")->capture_default_str();
  app.add_option("--clamscan", options.clamscan, "clamscan binary")->capture_default_str();
  app.add_option("--json", options.json_file, "Also write the JSON summary to this file");
  CLI11_PARSE(app, argc, argv);
  return run(options);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "furoshiki_transfer_bench: " << e.what() << "\n";
    return 1;
  }
}
