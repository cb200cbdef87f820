// The HTTP mapping read from the protos (service/http/routes.h): every RPC
// of the service is annotated, templates match and bind, query parameters
// fill request fields, and streamed JSON bodies split into messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "customer_analytics/v1/analytics_service.pb.h"
#include "http/routes.h"

namespace analytics::http {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

const google::protobuf::ServiceDescriptor& Service() {
  return *customer_analytics::v1::GetKpisRequest::descriptor()->file()->FindServiceByName(
      "AnalyticsService");
}

TEST(HttpRoutesTest, EveryRpcOfTheServiceHasAnHttpRule) {
  // A new RPC without an option (google.api.http) would be unreachable over
  // HTTP: name it here rather than find out from a user.
  EXPECT_THAT(MethodsWithoutHttpRule(Service()), IsEmpty());
  absl::StatusOr<std::vector<Route>> routes = RoutesOf(Service());
  ASSERT_TRUE(routes.ok()) << routes.status();
  EXPECT_GE(routes->size(), static_cast<std::size_t>(Service().method_count()));
  // No two routes share a method and a template.
  for (std::size_t i = 0; i < routes->size(); ++i) {
    for (std::size_t j = i + 1; j < routes->size(); ++j) {
      EXPECT_FALSE((*routes)[i].http_method == (*routes)[j].http_method &&
                   (*routes)[i].path == (*routes)[j].path)
          << (*routes)[i].path;
    }
  }
}

TEST(HttpRoutesTest, ReadsGetAndWritesPost) {
  absl::StatusOr<std::vector<Route>> routes = RoutesOf(Service());
  ASSERT_TRUE(routes.ok());
  for (const Route& route : *routes) {
    const bool write = route.method->client_streaming() || route.method->name() == "SeedDemoData";
    EXPECT_EQ(route.http_method, write ? "POST" : "GET") << route.method->name();
    EXPECT_EQ(route.grpc_path, "/customer_analytics.v1.AnalyticsService/" + route.method->name());
  }
}

TEST(HttpRoutesTest, FindsRoutesAndBindsPathVariables) {
  absl::StatusOr<std::vector<Route>> routes = RoutesOf(Service());
  ASSERT_TRUE(routes.ok());
  std::optional<RouteMatch> kpis = FindRoute(*routes, "GET", "/v1/kpis");
  ASSERT_TRUE(kpis.has_value());
  EXPECT_EQ(kpis->route->method->name(), "GetKpis");

  std::optional<RouteMatch> customer = FindRoute(*routes, "GET", "/v1/customers/C00042");
  ASSERT_TRUE(customer.has_value());
  EXPECT_EQ(customer->route->method->name(), "GetCustomer");
  EXPECT_THAT(customer->bindings, ElementsAre(Pair("customer_id", "C00042")));

  std::optional<RouteMatch> list = FindRoute(*routes, "GET", "/v1/customers");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->route->method->name(), "ListCustomers");

  std::optional<RouteMatch> import = FindRoute(*routes, "POST", "/v1/customers:import");
  ASSERT_TRUE(import.has_value());
  EXPECT_EQ(import->route->method->name(), "ImportCsv");
  EXPECT_EQ(import->route->body, "chunk");

  bool path_matched = false;
  EXPECT_FALSE(FindRoute(*routes, "DELETE", "/v1/kpis", &path_matched).has_value());
  EXPECT_TRUE(path_matched);
  EXPECT_FALSE(FindRoute(*routes, "GET", "/v1/nothing", &path_matched).has_value());
  EXPECT_FALSE(path_matched);
  // A verb the template does not have, and one segment too many.
  EXPECT_FALSE(FindRoute(*routes, "GET", "/v1/customers:import").has_value());
  EXPECT_FALSE(FindRoute(*routes, "GET", "/v1/customers/C1/orders").has_value());
}

TEST(HttpRoutesTest, ParsesNestedTemplates) {
  Route route;
  ASSERT_TRUE(ParsePathTemplate("/v1/{name=shelves/*/books/*}:read", route).ok());
  EXPECT_EQ(route.verb, "read");
  EXPECT_THAT(route.variables, ElementsAre("name"));
  std::vector<Route> routes = {route};
  routes[0].http_method = "GET";
  std::optional<RouteMatch> match = FindRoute(routes, "GET", "/v1/shelves/1/books/2:read");
  ASSERT_TRUE(match.has_value());
  EXPECT_THAT(match->bindings, ElementsAre(Pair("name", "shelves/1/books/2")));
  EXPECT_FALSE(FindRoute(routes, "GET", "/v1/shelves/1/books:read").has_value());

  Route rest;
  ASSERT_TRUE(ParsePathTemplate("/files/{path=**}", rest).ok());
  rest.http_method = "GET";
  std::optional<RouteMatch> file = FindRoute({rest}, "GET", "/files/a/b/c.csv");
  ASSERT_TRUE(file.has_value());
  EXPECT_THAT(file->bindings, ElementsAre(Pair("path", "a/b/c.csv")));

  Route bad;
  EXPECT_FALSE(ParsePathTemplate("v1/kpis", bad).ok());
  EXPECT_FALSE(ParsePathTemplate("/v1/{name", bad).ok());
  EXPECT_FALSE(ParsePathTemplate("/v1/kpis/", bad).ok());
}

TEST(HttpRoutesTest, QueryParametersFillFieldsByProtoOrJsonName) {
  customer_analytics::v1::ListCustomersRequest request;
  ASSERT_TRUE(SetFieldFromText(request, "filter.regions", "West").ok());
  ASSERT_TRUE(SetFieldFromText(request, "filter.regions", "East").ok());
  ASSERT_TRUE(SetFieldFromText(request, "filter.startDate", "2024-01-01").ok());
  ASSERT_TRUE(SetFieldFromText(request, "page_size", "25").ok());
  ASSERT_TRUE(SetFieldFromText(request, "tier", "TIER_GOLD").ok());
  ASSERT_TRUE(SetFieldFromText(request, "rfm.thresholds.gold_min_monetary", "1500.5").ok());
  ASSERT_TRUE(SetFieldFromText(request, "rfm.thresholds.gold_min_frequency", "3").ok());
  EXPECT_THAT(request.filter().regions(), ElementsAre("West", "East"));
  EXPECT_EQ(request.filter().start_date(), "2024-01-01");
  EXPECT_EQ(request.page_size(), 25);
  EXPECT_EQ(request.tier(), customer_analytics::v1::TIER_GOLD);
  EXPECT_DOUBLE_EQ(request.rfm().thresholds().gold_min_monetary(), 1500.5);
  EXPECT_EQ(request.rfm().thresholds().gold_min_frequency(), 3);

  customer_analytics::v1::ImportCsvRequest import;
  ASSERT_TRUE(SetFieldFromText(import, "options.skip_invalid", "true").ok());
  ASSERT_TRUE(SetFieldFromText(import, "options.date_order", "2").ok());
  EXPECT_TRUE(import.options().skip_invalid());
  EXPECT_EQ(import.options().date_order(), customer_analytics::v1::DATE_ORDER_MDY);
}

TEST(HttpRoutesTest, BadParametersNameTheField) {
  customer_analytics::v1::GetBreakdownRequest request;
  auto message = [&](absl::string_view path, absl::string_view value) {
    absl::Status s = SetFieldFromText(request, path, value);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    return std::string(s.message());
  };
  EXPECT_THAT(message("dimension", "REGION"), ::testing::StartsWith("dimension: "));
  EXPECT_THAT(message("limit", "ten"), ::testing::StartsWith("limit: "));
  EXPECT_THAT(message("limit", "99999999999"), ::testing::StartsWith("limit: "));
  EXPECT_THAT(message("ascending", "maybe"), ::testing::StartsWith("ascending: "));
  EXPECT_THAT(message("filter.nope", "x"), ::testing::StartsWith("filter.nope: no such field"));
  EXPECT_THAT(message("filter", "x"), ::testing::StartsWith("filter: "));
  EXPECT_THAT(message("dimension.x", "1"), ::testing::StartsWith("dimension.x: "));
}

TEST(HttpRoutesTest, SplitsStreamedJsonIntoMessages) {
  for (const std::string body : {R"({"a":1}{"b":"}{"}
 {"c":[{"d":2}]})",
                                 R"([{"a":1}, {"b":"}{"}, {"c":[{"d":2}]}])",
                                 "{\"a\":1}\n{\"b\":\"}{\"}\n{\"c\":[{\"d\":2}]}\n"}) {
    std::vector<std::string> objects;
    JsonObjectSplitter splitter(1024, [&](std::string object) {
      objects.push_back(std::move(object));
      return absl::OkStatus();
    });
    // Fed one byte at a time: a network read may end anywhere.
    for (char c : body) ASSERT_TRUE(splitter.Feed(absl::string_view(&c, 1)).ok()) << body;
    EXPECT_TRUE(splitter.Finish().ok());
    EXPECT_THAT(objects, ElementsAre(R"({"a":1})", R"({"b":"}{"})", R"({"c":[{"d":2}]})"));
  }
  JsonObjectSplitter cut(1024, [](std::string) { return absl::OkStatus(); });
  ASSERT_TRUE(cut.Feed(R"({"a":{"b":1})").ok());
  EXPECT_EQ(cut.Finish().code(), absl::StatusCode::kInvalidArgument);
  JsonObjectSplitter junk(1024, [](std::string) { return absl::OkStatus(); });
  EXPECT_EQ(junk.Feed("42").code(), absl::StatusCode::kInvalidArgument);
  JsonObjectSplitter small(8, [](std::string) { return absl::OkStatus(); });
  EXPECT_EQ(small.Feed(R"({"a":"0123456789"})").code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace analytics::http
