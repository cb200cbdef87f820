// analytics-server: wires the store, the query engine and the gRPC services
// together, serves until SIGTERM/SIGINT, then drains and closes cleanly.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>

#include "api/analytics_service.h"
#include "api/health_service.h"
#include "demo/demo_generator.h"
#include "http/gateway.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "query/columnar/snapshot.h"
#include "server/engine_setup.h"
#include "server/lag_readiness.h"
#include "server/logging.h"
#include "server/memory_trimmer.h"
#include "server/metrics_observer.h"
#include "server/security.h"
#include "server/server_config.h"
#include "store/order_store.h"
#include "store/sqlite.h"

namespace analytics {
namespace {

absl::Status SeedDemoIfEmpty(Store& store) {
  // Not CountLines: that folds the write log first, seconds after a crash
  // that left a large one.
  absl::StatusOr<bool> empty = store.IsEmpty();
  if (!empty.ok()) return empty.status();
  if (!*empty) {
    spdlog::info("store holds order lines; not seeding demo data");
    return absl::OkStatus();
  }
  DemoOptions options;
  options.end_day = TodayUtc();
  DemoGenerator generator(options);
  absl::StatusOr<WriteResult> written = store.Upsert(generator);
  if (!written.ok()) return written.status();
  spdlog::info("seeded {} demo order lines ending {}", written->inserted,
               FormatIsoDay(options.end_day));
  return absl::OkStatus();
}

// A damaged database file must stop the server before it serves: started,
// it would report SERVING and fail every read. An absent file is created by
// OrderStore::Open; :memory: has nothing to check.
absl::Status CheckDatabaseFile(const std::string& path) {
  std::error_code error;
  if (path.empty() || path == ":memory:" || IsPostgresDsn(path) ||
      !std::filesystem::exists(path, error)) {
    return absl::OkStatus();
  }
  absl::StatusOr<sqlite::Connection> connection = sqlite::Connection::Open(path);
  if (!connection.ok()) return connection.status();
  return sqlite::QuickCheck(*connection);
}

int Run(const ServerConfig& config, const sigset_t& stop_signals) {
  ConfigureLogging(config.log_format, config.log_level);
  // The engine's snapshot is a file of its own: read on a thread of its
  // own while quick_check reads the database (at a million lines each takes
  // ~0.4 s, on the two cores); the engine waits for it when it starts. The
  // read trusts nothing yet: the engine checks the store's position first.
  const std::string snapshot_path =
      config.engine_snapshot && config.engine != "sql" ? SnapshotPathFor(config.db) : std::string();
  std::future<absl::StatusOr<columnar::TableSnapshot>> snapshot_read;
  if (!snapshot_path.empty()) {
    snapshot_read = std::async(std::launch::async, [snapshot_path] {
      const auto started = std::chrono::steady_clock::now();
      absl::StatusOr<columnar::TableSnapshot> read = columnar::ReadTableSnapshot(snapshot_path);
      spdlog::info("engine snapshot {} read in {} ms, beside the integrity check", snapshot_path,
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count());
      return read;
    });
  }
  const auto check_started = std::chrono::steady_clock::now();
  if (absl::Status s = CheckDatabaseFile(config.db); !s.ok()) {
    spdlog::critical(
        "database file {} is damaged or not a database ({}); refusing to start: restore it from a "
        "backup or move it away",
        config.db, std::string(s.message()));
    return 1;
  }
  spdlog::info("database integrity check (quick_check) passed in {} ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - check_started)
                   .count());
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(config.db);
  if (!store.ok()) {
    spdlog::critical("cannot open database {}: {}", RedactedDb(config.db),
                     std::string(store.status().message()));
    return 1;
  }
  if (config.seed_demo_if_empty) {
    if (absl::Status s = SeedDemoIfEmpty(**store); !s.ok()) {
      spdlog::critical("seeding demo data failed: {}", std::string(s.message()));
      return 1;
    }
  }
  absl::StatusOr<std::unique_ptr<QueryEngines>> engine = QueryEngines::StartFor(
      **store, config.engine, config.memory_budget_mb, snapshot_path,
      snapshot_read.valid() ? std::function([&snapshot_read] { return snapshot_read.get(); })
                            : nullptr);
  if (!engine.ok()) {
    spdlog::critical("cannot start the query engine: {}", std::string(engine.status().message()));
    return 1;
  }
  // The store summed its lines' magnitudes beside the engine's load
  // (OpenStore): a database already past the bound stops here, before
  // serving, as it did when Open summed them.
  if (auto* sqlite = dynamic_cast<OrderStore*>(store->get()); sqlite != nullptr) {
    const auto bound_wait_started = std::chrono::steady_clock::now();
    absl::Status s = sqlite->BoundChecked();
    spdlog::info("stored magnitudes summed (waited {} ms for them after the engine)",
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - bound_wait_started)
                     .count());
    if (!s.ok()) {
      spdlog::critical("cannot open database {}: {}", RedactedDb(config.db),
                       std::string(s.message()));
      return 1;
    }
  }

  // Before the registry and its endpoint, so it outlives every scrape.
  api::WriteGate write_gate(WriteGateOptionsFrom(config));
  metrics::Registry registry;
  RegisterStoreGauges(registry, **store, (*engine)->active());
  registry.SetGaugeCallback(metrics::StoreGauge::kWriteWaiters,
                            [&write_gate] { return std::optional<double>(write_gate.waiters()); });
  if (const auto* pg = dynamic_cast<const PgStore*>(store->get()); pg != nullptr) {
    registry.SetGaugeCallback(metrics::StoreGauge::kReplicaLagSeconds,
                              [pg] { return std::optional<double>(pg->ReplicaLagSeconds()); });
  }
  std::unique_ptr<metrics::MetricsHttpServer> metrics_server;
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsHttpServer>> started =
        metrics::MetricsHttpServer::Start(registry, config.metrics_listen);
    if (!started.ok()) {
      spdlog::critical("cannot serve metrics on {}: {}", config.metrics_listen,
                       std::string(started.status().message()));
      return 1;
    }
    metrics_server = std::move(*started);
    spdlog::info("serving Prometheus metrics on port {} at /metrics", metrics_server->port());
  }

  api::LoggingObserver logging_observer;
  MetricsObserver metrics_observer(registry);
  api::ObserverList observers;
  observers.Add(&logging_observer);
  observers.Add(&metrics_observer);
  if (auto* sqlite = dynamic_cast<OrderStore*>(store->get()); sqlite == nullptr) {
    // PostgreSQL: limits are the database's (quotas, tablespaces).
  } else if (absl::Status s = ApplyStoreLimits(*sqlite, config); !s.ok()) {
    spdlog::critical("cannot apply --max-db-pages: {}", std::string(s.message()));
    return 1;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(config);
  if (!credentials.ok()) {
    spdlog::critical("TLS: {}", std::string(credentials.status().message()));
    return 1;
  }
  absl::StatusOr<api::AuthOptions> auth = LoadAuthOptions(config);
  if (!auth.ok()) {
    spdlog::critical("auth: {}", std::string(auth.status().message()));
    return 1;
  }
  const api::Authorizer authorizer(std::move(*auth));
  if (!authorizer.tokens_configured()) {
    spdlog::warn("no auth tokens configured: every read is open and writes are accepted {}",
                 config.allow_unauthenticated_writes
                     ? "from ANY peer (--allow-unauthenticated-writes)"
                     : "from loopback only");
  }
  api::AnalyticsService analytics_service(
      **store, (*engine)->active(), observers, ServiceLimitsFrom(config),
      {.authorizer = &authorizer, .write_gate = &write_gate},
      config.page_token_key.empty() ? api::PageTokenCodec::WithRandomKey()
                                    : api::PageTokenCodec(config.page_token_key));
  api::HealthService health_service;
  // A PostgreSQL replica too far behind reports NOT_SERVING until it has
  // caught up (readiness, not liveness: it keeps running).
  std::unique_ptr<LagReadiness> lag_readiness;
  if (auto* pg = dynamic_cast<const PgStore*>(store->get());
      pg != nullptr && config.max_replica_lag_ms > 0) {
    lag_readiness = std::make_unique<LagReadiness>(
        [pg] { return pg->StalenessSeconds(); },
        std::chrono::milliseconds(config.max_replica_lag_ms), health_service);
  }

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, *credentials, &port);
  builder.RegisterService(&analytics_service);
  builder.RegisterService(&health_service);
  // Above the configured limit: the write streams check it themselves, so
  // that an oversized message fails with a code the server logs too
  // (api/write_stream.h); the typed methods' messages are small.
  builder.SetMaxReceiveMessageSize(
      api::GrpcReceiveLimit(static_cast<std::size_t>(config.max_receive_message_bytes)));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, config.max_concurrent_streams);
  // HTTP/2 abuse limits. gRPC 1.51 has no RST_STREAM rate limit ("rapid
  // reset"): the stream cap above bounds what one connection has open, the
  // handlers do no work for a call already cancelled, and MemoryTrimmer
  // hands back what a flood freed. Pings: a client pinging more often than
  // every 5 minutes without calls gets two strikes, then GOAWAY. Headers:
  // 16 KiB per request (a bearer token is at most 4 KiB). A connection must
  // finish its handshake (TLS, HTTP/2 preface) within 20 s.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 300'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 20'000);
  // gRPC's own memory (transport buffers, calls not yet handed to a
  // handler): under a quota it reclaims what a burst of reset streams left
  // behind, which otherwise stays resident. Room for a few messages of the
  // largest size (three concurrent 15 MiB-chunk imports pass under 64 MiB).
  // No bandwidth-delay probing: on a fast link it grows a stream's receive
  // window far past what the handler reads at once, so a single large
  // ImportCsv (1 MiB chunks, a 2 GB file) filled the quota below with data
  // the import had not asked for yet, and gRPC reset the stream
  // (RST_STREAM 11, RESOURCE_EXHAUSTED). The default 64 KiB window per
  // stream keeps what waits in the transport small; imports ran as fast.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  grpc::ResourceQuota quota("analytics-server");
  quota.Resize(std::max<std::size_t>(
      std::size_t{64} << 20, 4 * static_cast<std::size_t>(config.max_receive_message_bytes)));
  builder.SetResourceQuota(quota);
  // gRPC sets SO_REUSEPORT by default: a second server started on a port in
  // use would then bind too and silently take half the connections. Failing
  // to start is the answer an operator can act on.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::critical("cannot listen on {}", config.listen);
    return 1;
  }
  const std::string host = config.listen.substr(0, config.listen.rfind(':'));
  std::cout << "listening on " << host << ":" << port << std::endl;
  spdlog::info("serving customer_analytics.v1.AnalyticsService on {}:{} (db {}, {})", host, port,
               RedactedDb(config.db),
               config.tls_cert.empty()        ? "plaintext"
               : config.tls_client_ca.empty() ? "TLS"
                                              : "mutual TLS");

  // The HTTP/JSON API and the dashboard: every call goes through the server
  // itself, over its in-process channel (service/http/gateway.h).
  std::unique_ptr<http::HttpGateway> http_gateway;
  if (!config.http_listen.empty()) {
    http::GatewayOptions http_options{
        .listen = config.http_listen,
        .services = {"customer_analytics.v1.AnalyticsService"},
        .cors_origins = config.http_cors_origins,
        .max_json_bytes = static_cast<std::size_t>(config.max_receive_message_bytes),
        .tls_cert = config.tls_cert,
        .tls_key = config.tls_key,
        .tls_client_ca = config.tls_client_ca};
    absl::StatusOr<std::unique_ptr<http::HttpGateway>> started =
        http::HttpGateway::Start(server->InProcessChannel(grpc::ChannelArguments()), http_options);
    if (!started.ok()) {
      spdlog::critical("cannot serve HTTP on {}: {}", config.http_listen,
                       std::string(started.status().message()));
      server->Shutdown();
      return 1;
    }
    http_gateway = std::move(*started);
    const std::string http_host = config.http_listen.substr(0, config.http_listen.rfind(':'));
    std::cout << "dashboard and HTTP/JSON API on " << (config.tls_cert.empty() ? "http" : "https")
              << "://" << (http_host.empty() || http_host == "0.0.0.0" ? "localhost" : http_host)
              << ":" << http_gateway->port() << "/" << std::endl;
    spdlog::info("serving the HTTP/JSON API and the dashboard on port {}", http_gateway->port());
  }

  // Memory freed after a burst (a flood of reset streams, a large answer)
  // goes back to the system instead of staying resident at the peak.
  const MemoryTrimmer trimmer({});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}; draining for up to {} s", signal_number,
               config.grace_period_seconds);
  health_service.Shutdown();
  lag_readiness.reset();  // it reads the store, which closes below
  // Writes in flight stop and roll back now (a client retries them; a
  // half-written import is never kept); reads get the grace period.
  analytics_service.StopWrites();
  // No new HTTP requests; those in flight finish (writes were just stopped).
  http_gateway.reset();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(config.grace_period_seconds));
  server->Wait();
  metrics_server.reset();
  // No write is in flight: the snapshot now reflects the last one, and the
  // next start reads it instead of every line.
  (*engine)->SaveSnapshot();
  engine->reset();
  store->reset();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace analytics

int main(int argc, char** argv) {
  // One malloc arena for the whole process (unless the environment chooses):
  // glibc's default, an arena per thread, keeps memory freed by one gRPC
  // thread away from the next call on another, so every large answer (a
  // 100,000-customer RFM list is ~20 MB) is faulted in afresh — about
  // 20 us a page on a virtual machine — and RSS grows by the sum of the
  // arenas. One arena costs no measurable throughput (bench/results/).
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr && std::getenv("GLIBC_TUNABLES") == nullptr) {
    mallopt(M_ARENA_MAX, 1);
  }
  // Block the stop signals before any thread starts, so every thread inherits
  // the mask and only sigwait() in main sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<analytics::ServerConfig> config =
      analytics::ParseServerConfig(args, [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        return value == nullptr ? std::nullopt : std::optional<std::string>(value);
      });
  if (!config.ok()) {
    std::cerr << "analytics-server: " << config.status().message() << "\n\n"
              << analytics::ServerHelpText();
    return 2;
  }
  if (config->help) {
    std::cout << analytics::ServerHelpText();
    return 0;
  }
  return analytics::Run(*config, stop_signals);
}
