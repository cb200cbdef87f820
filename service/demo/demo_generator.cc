#include "demo/demo_generator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <numeric>
#include <span>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

// ---------------------------------------------------------------------------
// Reference tables. Constant data only: the generator's state lives in the
// DemoGenerator object.

constexpr std::string_view kCountry = "United States";

constexpr std::array<std::string_view, 32> kFirstNames = {
    "James",  "Mary",     "Robert",  "Patricia", "John",    "Jennifer", "Michael", "Linda",
    "David",  "Susan",    "William", "Karen",    "Richard", "Nancy",    "Thomas",  "Lisa",
    "Daniel", "Sandra",   "Carlos",  "Maria",    "Kevin",   "Emily",    "Brian",   "Laura",
    "Aaron",  "Michelle", "Jason",   "Angela",   "Eric",    "Sofia",    "Tyler",   "Grace"};

constexpr std::array<std::string_view, 32> kLastNames = {
    "Smith",  "Johnson", "Williams", "Brown",  "Jones",  "Garcia",   "Miller", "Davis",
    "Lopez",  "Wilson",  "Anderson", "Taylor", "Thomas", "Moore",    "Martin", "Lee",
    "Clark",  "Lewis",   "Walker",   "Hall",   "Young",  "King",     "Wright", "Scott",
    "Nguyen", "Hill",    "Green",    "Adams",  "Baker",  "Campbell", "Parker", "Evans"};

// Customer segments, with the Superstore-like mix 50 / 30 / 20.
constexpr std::array<std::string_view, 3> kSegments = {"Consumer", "Corporate", "Home Office"};
constexpr std::array<int, 3> kSegmentWeights = {50, 30, 20};

struct Place {
  std::string_view state;
  std::string_view city;
  std::string_view postal_code;
};

constexpr std::array<Place, 11> kNorthPlaces = {{
    {"Minnesota", "Minneapolis", "55401"},
    {"Minnesota", "Saint Paul", "55101"},
    {"Michigan", "Detroit", "48201"},
    {"Michigan", "Ann Arbor", "48104"},
    {"Wisconsin", "Milwaukee", "53202"},
    {"Wisconsin", "Madison", "53703"},
    {"Illinois", "Chicago", "60601"},
    {"Illinois", "Springfield", "62701"},
    {"Ohio", "Columbus", "43215"},
    {"Ohio", "Cleveland", "44114"},
    {"Iowa", "Des Moines", "50309"},
}};
constexpr std::array<Place, 11> kSouthPlaces = {{
    {"Texas", "Houston", "77002"},
    {"Texas", "Dallas", "75201"},
    {"Texas", "Austin", "78701"},
    {"Florida", "Miami", "33130"},
    {"Florida", "Jacksonville", "32202"},
    {"Georgia", "Atlanta", "30303"},
    {"Tennessee", "Nashville", "37203"},
    {"Tennessee", "Memphis", "38103"},
    {"North Carolina", "Charlotte", "28202"},
    {"North Carolina", "Raleigh", "27601"},
    {"Louisiana", "New Orleans", "70112"},
}};
constexpr std::array<Place, 10> kEastPlaces = {{
    {"New York", "New York City", "10001"},
    {"New York", "Buffalo", "14202"},
    {"Pennsylvania", "Philadelphia", "19103"},
    {"Pennsylvania", "Pittsburgh", "15222"},
    {"Massachusetts", "Boston", "02108"},
    {"New Jersey", "Newark", "07102"},
    {"Virginia", "Richmond", "23219"},
    {"Maryland", "Baltimore", "21202"},
    {"Connecticut", "Hartford", "06103"},
    {"Rhode Island", "Providence", "02903"},
}};
constexpr std::array<Place, 11> kWestPlaces = {{
    {"California", "Los Angeles", "90012"},
    {"California", "San Francisco", "94103"},
    {"California", "San Diego", "92101"},
    {"Washington", "Seattle", "98101"},
    {"Washington", "Spokane", "99201"},
    {"Oregon", "Portland", "97204"},
    {"Colorado", "Denver", "80202"},
    {"Arizona", "Phoenix", "85004"},
    {"Nevada", "Las Vegas", "89101"},
    {"Utah", "Salt Lake City", "84111"},
    {"New Mexico", "Albuquerque", "87102"},
}};

struct Region {
  std::string_view name;
  std::span<const Place> places;
};

// The original dashboard's four regions, equally likely.
constexpr std::array<Region, 4> kRegions = {{
    {"North", kNorthPlaces},
    {"South", kSouthPlaces},
    {"East", kEastPlaces},
    {"West", kWestPlaces},
}};

struct SubCategory {
  std::string_view name;
  std::string_view code;  // the product id's middle part, as in Superstore ("FUR-CH-...")
  int weight;             // relative frequency within the category
  std::span<const std::string_view> brands;
  std::span<const std::string_view> items;
};

struct Category {
  std::string_view name;
  std::string_view code;
  // Profit margin bounds in basis points of sales (the original dashboard's
  // ranges).
  std::int64_t min_margin_bp;
  std::int64_t max_margin_bp;
  std::span<const SubCategory> sub_categories;
};

constexpr std::string_view kChairBrands[] = {"Hon", "Global", "Office Star", "Harbour Creations"};
constexpr std::string_view kChairItems[] = {"Task Chair", "Executive Leather Chair",
                                            "Stacking Chairs", "Mesh Swivel Chair"};
constexpr std::string_view kTableBrands[] = {"Bretford", "Bevis", "Barricks", "Lesro"};
constexpr std::string_view kTableItems[] = {"Conference Table", "Round Training Table",
                                            "Folding Table", "Computer Desk"};
constexpr std::string_view kBookcaseBrands[] = {"Bush", "Sauder", "O'Sullivan", "Atlantic"};
constexpr std::string_view kBookcaseItems[] = {"3-Shelf Bookcase", "5-Shelf Bookcase",
                                               "Corner Bookcase", "Mobile Shelving"};
constexpr std::string_view kFurnishingBrands[] = {"Eldon", "Howard Miller", "Deflect-o", "Tenex"};
constexpr std::string_view kFurnishingItems[] = {"Wall Clock", "Desk Lamp", "Chair Mat",
                                                 "Frame Set"};

constexpr std::string_view kPaperBrands[] = {"Xerox", "Hammermill", "Southworth", "Ampad"};
constexpr std::string_view kPaperItems[] = {"Copy Paper", "Colored Paper", "Message Books",
                                            "Easel Pads"};
constexpr std::string_view kBinderBrands[] = {"Avery", "Wilson Jones", "Cardinal", "GBC"};
constexpr std::string_view kBinderItems[] = {"Ring Binder", "Presentation Binder", "Binding Covers",
                                             "Index Tabs"};
constexpr std::string_view kStorageBrands[] = {"Fellowes", "Tennsco", "Smead", "Iris"};
constexpr std::string_view kStorageItems[] = {"File Cabinet", "Storage Box", "Rolling Cart",
                                              "Shelving Unit"};
constexpr std::string_view kArtBrands[] = {"Sanford", "Newell", "Prismacolor", "Dixon"};
constexpr std::string_view kArtItems[] = {"Pencils", "Markers", "Highlighters", "Sketch Pad"};
constexpr std::string_view kApplianceBrands[] = {"Hoover", "Holmes", "Belkin", "Honeywell"};
constexpr std::string_view kApplianceItems[] = {"Vacuum", "Air Purifier", "Surge Protector",
                                                "Space Heater"};
constexpr std::string_view kLabelBrands[] = {"Avery", "Dymo", "Brother"};
constexpr std::string_view kLabelItems[] = {"Address Labels", "Shipping Labels", "Label Tape"};
constexpr std::string_view kEnvelopeBrands[] = {"Tyvek", "Quality Park", "Columbian"};
constexpr std::string_view kEnvelopeItems[] = {"Business Envelopes", "Catalog Envelopes",
                                               "Mailers"};
constexpr std::string_view kFastenerBrands[] = {"Acco", "Advantus", "Officemate"};
constexpr std::string_view kFastenerItems[] = {"Paper Clips", "Binder Clips", "Push Pins"};
constexpr std::string_view kSupplyBrands[] = {"Fiskars", "Acme", "Swingline"};
constexpr std::string_view kSupplyItems[] = {"Scissors", "Letter Opener", "Stapler"};

constexpr std::string_view kPhoneBrands[] = {"Apple", "Samsung", "Cisco", "Polycom"};
constexpr std::string_view kPhoneItems[] = {"Smartphone", "IP Desk Phone", "Conference Phone",
                                            "Headset"};
constexpr std::string_view kAccessoryBrands[] = {"Logitech", "Kingston", "SanDisk", "Microsoft"};
constexpr std::string_view kAccessoryItems[] = {"Wireless Mouse", "Keyboard", "USB Flash Drive",
                                                "Webcam"};
constexpr std::string_view kMachineBrands[] = {"Epson", "Zebra", "Okidata", "Brother"};
constexpr std::string_view kMachineItems[] = {"Label Printer", "Receipt Printer",
                                              "Dot Matrix Printer", "Scanner"};
constexpr std::string_view kCopierBrands[] = {"Canon", "Hewlett Packard", "Sharp", "Xerox"};
constexpr std::string_view kCopierItems[] = {"Imageclass Copier", "Laser Copier", "Color Copier",
                                             "Multifunction Copier"};

constexpr std::array<SubCategory, 4> kFurniture = {{
    {"Chairs", "CH", 30, kChairBrands, kChairItems},
    {"Tables", "TA", 15, kTableBrands, kTableItems},
    {"Bookcases", "BO", 20, kBookcaseBrands, kBookcaseItems},
    {"Furnishings", "FU", 35, kFurnishingBrands, kFurnishingItems},
}};
constexpr std::array<SubCategory, 9> kOfficeSupplies = {{
    {"Paper", "PA", 18, kPaperBrands, kPaperItems},
    {"Binders", "BI", 20, kBinderBrands, kBinderItems},
    {"Storage", "ST", 12, kStorageBrands, kStorageItems},
    {"Art", "AR", 12, kArtBrands, kArtItems},
    {"Appliances", "AP", 8, kApplianceBrands, kApplianceItems},
    {"Labels", "LA", 8, kLabelBrands, kLabelItems},
    {"Envelopes", "EN", 8, kEnvelopeBrands, kEnvelopeItems},
    {"Fasteners", "FA", 7, kFastenerBrands, kFastenerItems},
    {"Supplies", "SU", 7, kSupplyBrands, kSupplyItems},
}};
constexpr std::array<SubCategory, 4> kTechnology = {{
    {"Phones", "PH", 35, kPhoneBrands, kPhoneItems},
    {"Accessories", "AC", 35, kAccessoryBrands, kAccessoryItems},
    {"Machines", "MA", 18, kMachineBrands, kMachineItems},
    {"Copiers", "CO", 12, kCopierBrands, kCopierItems},
}};

// Equally likely, as in the original dashboard. Furniture margins are
// -10 %..+30 %, the others +10 %..+50 %.
constexpr std::array<Category, 3> kCategories = {{
    {"Furniture", "FUR", -1'000, 3'000, kFurniture},
    {"Office Supplies", "OFF", 1'000, 5'000, kOfficeSupplies},
    {"Technology", "TEC", 1'000, 5'000, kTechnology},
}};

// FillLine draws a sub-category from a fixed-size weight array.
constexpr std::size_t kMaxSubCategories = 9;
static_assert(std::all_of(kCategories.begin(), kCategories.end(), [](const Category& category) {
  return category.sub_categories.size() <= kMaxSubCategories;
}));

constexpr std::array<std::string_view, 4> kShipModes = {"Standard Class", "Second Class",
                                                        "First Class", "Same Day"};
constexpr std::array<int, 4> kShipModeWeights = {60, 20, 15, 5};
// Days from order to shipment, inclusive ranges per ship mode.
constexpr std::array<std::pair<int, int>, 4> kShipDelays = {{{4, 7}, {2, 4}, {1, 2}, {0, 0}}};

// Lines per order: mostly one or two, up to four.
constexpr std::array<int, 4> kLinesPerOrderWeights = {45, 30, 15, 10};

// Discount in tenths (0 %, 10 %, ... 50 %): most lines are full price.
constexpr std::array<int, 6> kDiscountWeights = {55, 10, 20, 6, 5, 4};

constexpr std::int64_t kMinSalesCents = 2'000;    // 20.00
constexpr std::int64_t kMaxSalesCents = 150'000;  // 1,500.00
constexpr Micros kMicrosPerCent = kMicrosPerUnit / 100;
constexpr std::int64_t kMaxQuantity = 14;

// Share of customers (in percent) who buy exactly once: they populate the
// one-order RFM segments (New Customers, Promising, Lost).
constexpr std::int64_t kOneTimeBuyerPercent = 15;

// ---------------------------------------------------------------------------

template <std::size_t N>
int PickWeighted(const std::array<int, N>& weights, std::uint64_t draw_below_total) {
  std::uint64_t remaining = draw_below_total;
  for (std::size_t i = 0; i < N; ++i) {
    const auto weight = static_cast<std::uint64_t>(weights[i]);
    if (remaining < weight) return static_cast<int>(i);
    remaining -= weight;
  }
  return static_cast<int>(N - 1);
}

template <std::size_t N>
int DrawWeighted(demo::Xoshiro256& rng, const std::array<int, N>& weights) {
  const int total = std::accumulate(weights.begin(), weights.end(), 0);
  return PickWeighted(weights, rng.Below(static_cast<std::uint64_t>(total)));
}

// Floor and ceiling of a / b for b > 0, correct for negative a.
constexpr std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && a < 0) ? 1 : 0);
}
constexpr std::int64_t CeilDiv(std::int64_t a, std::int64_t b) {
  return a / b + ((a % b != 0 && a > 0) ? 1 : 0);
}

void AppendNumber(std::string& out, std::int64_t value, int min_digits = 1) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 24 characters hold any int64
  const auto length = static_cast<int>(end - buffer);
  if (length < min_digits) out.append(static_cast<std::size_t>(min_digits - length), '0');
  out.append(buffer, end);
}

void AssignPrefixed(std::string& out, std::string_view prefix, std::int64_t value,
                    int min_digits = 1) {
  // clear + append rather than assign: GCC 12 at -O3 reports a false
  // -Wrestrict overlap for string::assign(string_view) here.
  out.clear();
  out.append(prefix.data(), prefix.size());
  AppendNumber(out, value, min_digits);
}

// A stable per-customer hash stream: the same customer number always gives
// the same profile, whatever the seed or the other options, so customers are
// the same people across seeds.
std::uint64_t CustomerHash(std::int64_t customer_number, std::uint64_t field) {
  return demo::Mix64(demo::Mix64(static_cast<std::uint64_t>(customer_number)) +
                     field * 0x9e3779b97f4a7c15ULL);
}

std::int64_t HashBelow(std::uint64_t hash, std::int64_t bound) {
  // Modulo bias is at most bound / 2^64: irrelevant for table picks.
  return static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(bound));
}

struct CustomerProfile {
  int first_name = 0;
  int last_name = 0;
  int segment = 0;
  int region = 0;
  int place = 0;
  // Offsets within the span (0 = first day) of the customer's active window.
  std::int64_t window_first = 0;
  std::int64_t window_last = 0;
};

CustomerProfile ProfileOf(std::int64_t customer_number, std::int64_t span_days) {
  CustomerProfile profile;
  profile.first_name = static_cast<int>(HashBelow(CustomerHash(customer_number, 1), 32));
  profile.last_name = static_cast<int>(HashBelow(CustomerHash(customer_number, 2), 32));
  profile.segment = PickWeighted(kSegmentWeights, CustomerHash(customer_number, 3) % 100);
  profile.region = static_cast<int>(HashBelow(CustomerHash(customer_number, 4), 4));
  profile.place = static_cast<int>(HashBelow(
      CustomerHash(customer_number, 5),
      static_cast<std::int64_t>(kRegions[static_cast<std::size_t>(profile.region)].places.size())));

  // Active windows make recency independent of activity: heavy buyers who
  // stopped early ("Can't Lose Them", "At Risk") and late starters ("New
  // Customers") exist next to steady customers.
  const std::int64_t last = span_days - 1;
  const std::uint64_t where = CustomerHash(customer_number, 7);
  const std::int64_t kind = HashBelow(CustomerHash(customer_number, 6), 100);
  if (kind < 55) {  // steady: the whole span
    profile.window_first = 0;
    profile.window_last = last;
  } else if (kind < 75) {  // churned: stopped within the first half
    profile.window_first = 0;
    profile.window_last = last * 15 / 100 + HashBelow(where, last * 35 / 100 + 1);
  } else if (kind < 90) {  // new: started in the last quarter
    profile.window_first = last * 3 / 4 + HashBelow(where, last - last * 3 / 4 + 1);
    profile.window_last = last;
  } else {  // joined during the first half, still active
    profile.window_first = HashBelow(where, last / 2 + 1);
    profile.window_last = last;
  }
  return profile;
}

}  // namespace

absl::Status ValidateDemoOptions(const DemoOptions& options) {
  if (options.line_count < 1 || options.line_count > kMaxDemoLines) {
    return absl::InvalidArgumentError(absl::StrCat("line_count: must be within 1..", kMaxDemoLines,
                                                   ", got ", options.line_count));
  }
  if (options.customer_count < 1 || options.customer_count > options.line_count) {
    return absl::InvalidArgumentError(absl::StrCat("customer_count: must be within 1..line_count (",
                                                   options.line_count, "), got ",
                                                   options.customer_count));
  }
  if (options.span_days < 1 || options.span_days > kMaxDemoSpanDays) {
    return absl::InvalidArgumentError(absl::StrCat("span_days: must be within 1..",
                                                   kMaxDemoSpanDays, ", got ", options.span_days));
  }
  const Day min_day = *DayFromYmd(kMinYear, 1, 1);
  const Day max_day = *DayFromYmd(kMaxYear, 12, 31);
  if (options.end_day < min_day || options.end_day > max_day) {
    // The raw number: a day this far out cannot be printed as a date.
    return absl::InvalidArgumentError(
        absl::StrCat("end_day: must be within ", FormatIsoDay(min_day), "..", FormatIsoDay(max_day),
                     ", got day number ", options.end_day));
  }
  const std::int64_t first_day =
      std::int64_t{options.end_day} - std::int64_t{options.span_days} + 1;
  if (first_day < min_day) {
    return absl::InvalidArgumentError(
        absl::StrCat("span_days: ", options.span_days, " days ending on end_day ",
                     FormatIsoDay(options.end_day), " would start before ", FormatIsoDay(min_day)));
  }
  return absl::OkStatus();
}

DemoGenerator::DemoGenerator(DemoOptions options)
    : options_(options),
      options_status_(ValidateDemoOptions(options)),
      valid_(options_status_.ok()),
      rng_(options.seed) {
  if (!valid_) return;
  first_day_ = options_.end_day - options_.span_days + 1;
  last_valid_day_ = *DayFromYmd(kMaxYear, 12, 31);

  const std::int64_t customers = options_.customer_count;
  repeat_buyers_ = std::max<std::int64_t>(1, customers - customers * kOneTimeBuyerPercent / 100);
  // Which customers are the heavy buyers depends on the seed; a stride
  // coprime with the count makes the affine map a permutation.
  const std::uint64_t mix = demo::Mix64(options_.seed ^ 0x5eed5eed5eed5eedULL);
  rank_offset_ = HashBelow(mix, customers);
  rank_stride_ = 1 + HashBelow(demo::Mix64(mix), customers);
  while (std::gcd(rank_stride_, customers) != 1) ++rank_stride_;

  key_prefix_ = absl::StrCat("demo-", options_.seed, "-");
  order_prefix_ = absl::StrCat("DEMO-", options_.seed, "-");
}

bool DemoGenerator::Next(OrderLine& line) {
  if (!valid_ || lines_emitted_ >= options_.line_count) return false;
  if (lines_left_in_order_ == 0) StartOrder();
  FillLine(line);
  --lines_left_in_order_;
  ++lines_emitted_;
  return true;
}

std::int64_t DemoGenerator::DrawCustomer(std::int64_t order_index) {
  // Every customer gets one order first, so all customer_count customers
  // appear; StartOrder keeps enough lines in reserve for that.
  if (order_index < options_.customer_count) return order_index;
  // The other orders go to ranks 0..repeat_buyers_-1 by rank = n * g(u),
  // g(u) = (u^3 - a^3) / (1 - a^3) with u uniform in [a, 1), a = 1/5: a
  // Pareto-like law where the top fifth of the ranks take about half of
  // these orders, yet the top customer stays near 8x the average (plain u^3,
  // a = 0, would give one customer a fifth of all orders). In integers: u is
  // a 21-bit fixed-point number, so u^3 < 2^63.
  constexpr std::uint64_t kOne = std::uint64_t{1} << 21;
  constexpr std::uint64_t kLow = kOne / 5;
  constexpr std::uint64_t kLowCube = kLow * kLow * kLow;
  constexpr std::uint64_t kRange = ((kOne * kOne * kOne) - kLowCube) >> 31;  // < 2^32
  const std::uint64_t u = kLow + rng_.Below(kOne - kLow);
  const std::uint64_t scaled = (u * u * u - kLowCube) >> 31;  // < kRange
  const auto rank =
      static_cast<std::int64_t>(static_cast<std::uint64_t>(repeat_buyers_) * scaled / kRange);
  return (rank * rank_stride_ + rank_offset_) % options_.customer_count;
}

Day DemoGenerator::DrawOrderDay(std::int64_t window_first, std::int64_t window_last) {
  // A gentle upward trend (order density grows from 70 % to 100 % across the
  // span) so period-over-period comparisons show growth. It depends only on
  // the offset within the span, so moving end_day shifts dates exactly.
  const std::int64_t last = options_.span_days - 1;
  std::int64_t offset = rng_.Between(window_first, window_last);
  for (int attempt = 0; attempt < 3 && last > 0; ++attempt) {
    if (rng_.Between(0, 999) < 700 + 300 * offset / last) break;
    offset = rng_.Between(window_first, window_last);
  }
  return static_cast<Day>(first_day_ + offset);
}

void DemoGenerator::StartOrder() {
  const std::int64_t order_index = orders_started_++;
  const std::int64_t lines_left = options_.line_count - lines_emitted_;
  // Keep one line for each customer still waiting for their first order.
  const std::int64_t reserved =
      std::max<std::int64_t>(0, options_.customer_count - order_index - 1);
  const std::int64_t drawn = 1 + DrawWeighted(rng_, kLinesPerOrderWeights);
  lines_left_in_order_ = std::min(drawn, lines_left - reserved);

  const std::int64_t customer_number = DrawCustomer(order_index) + 1;
  const CustomerProfile profile = ProfileOf(customer_number, options_.span_days);
  AssignPrefixed(customer_id_, "C", customer_number, 5);
  customer_name_.assign(kFirstNames[static_cast<std::size_t>(profile.first_name)]);
  customer_name_.push_back(' ');
  customer_name_.append(kLastNames[static_cast<std::size_t>(profile.last_name)]);
  segment_ = profile.segment;
  region_ = profile.region;
  place_ = profile.place;

  AssignPrefixed(order_id_, order_prefix_, order_index + 1);
  order_day_ = DrawOrderDay(profile.window_first, profile.window_last);
  ship_mode_ = DrawWeighted(rng_, kShipModeWeights);
  const auto [min_delay, max_delay] = kShipDelays[static_cast<std::size_t>(ship_mode_)];
  ship_day_ = static_cast<Day>(
      std::min<std::int64_t>(order_day_ + rng_.Between(min_delay, max_delay), last_valid_day_));
}

void DemoGenerator::FillLine(OrderLine& line) {
  const Region& region = kRegions[static_cast<std::size_t>(region_)];
  const Place& place = region.places[static_cast<std::size_t>(place_)];

  AssignPrefixed(line.line_key, key_prefix_, lines_emitted_ + 1);
  line.order_id = order_id_;
  line.order_date = order_day_;
  line.ship_date = ship_day_;
  line.ship_mode.assign(kShipModes[static_cast<std::size_t>(ship_mode_)]);
  line.customer_id = customer_id_;
  line.customer_name = customer_name_;
  line.segment.assign(kSegments[static_cast<std::size_t>(segment_)]);
  line.country.assign(kCountry);
  line.region.assign(region.name);
  line.state.assign(place.state);
  line.city.assign(place.city);
  line.postal_code.assign(place.postal_code);

  const Category& category = kCategories[rng_.Below(kCategories.size())];
  std::array<int, kMaxSubCategories> sub_weights{};
  for (std::size_t i = 0; i < category.sub_categories.size(); ++i) {
    sub_weights[i] = category.sub_categories[i].weight;
  }
  const SubCategory& sub =
      category.sub_categories[static_cast<std::size_t>(DrawWeighted(rng_, sub_weights))];
  const std::size_t brand = rng_.Below(sub.brands.size());
  const std::size_t item = rng_.Below(sub.items.size());
  line.category.assign(category.name);
  line.sub_category.assign(sub.name);
  line.product_id.assign(category.code);
  line.product_id.push_back('-');
  line.product_id.append(sub.code);
  line.product_id.push_back('-');
  AppendNumber(line.product_id,
               10'000 + 100 * static_cast<std::int64_t>(brand) + static_cast<std::int64_t>(item));
  line.product_name.assign(sub.brands[brand]);
  line.product_name.push_back(' ');
  line.product_name.append(sub.items[item]);

  const std::int64_t sales_cents = rng_.Between(kMinSalesCents, kMaxSalesCents);
  const std::int64_t discount_tenths = DrawWeighted(rng_, kDiscountWeights);
  // Deeper discounts cap the margin lower (at most halving the range), so the
  // discount/profit relationship is visible while staying within the
  // category's bounds. Profit is drawn in whole cents between the exact
  // bounds, so the margin can never round outside them.
  const std::int64_t max_bp =
      category.max_margin_bp -
      (category.max_margin_bp - category.min_margin_bp) * discount_tenths / 10;
  const std::int64_t min_profit_cents = CeilDiv(sales_cents * category.min_margin_bp, 10'000);
  const std::int64_t max_profit_cents = FloorDiv(sales_cents * max_bp, 10'000);
  const std::int64_t profit_cents = rng_.Between(min_profit_cents, max_profit_cents);

  line.sales = sales_cents * kMicrosPerCent;
  line.profit = profit_cents * kMicrosPerCent;
  line.discount = discount_tenths * (kMicrosPerUnit / 10);
  // Small quantities dominate: the minimum of two uniform draws.
  line.quantity =
      1 + std::min(rng_.Between(0, kMaxQuantity - 1), rng_.Between(0, kMaxQuantity - 1));
}

}  // namespace analytics
