// Proto conversion for the prediction, cohort and migration RPCs
// (predictions.proto), apart from convert.h to keep each file readable.
// Validation as in convert.h: InvalidArgument messages start with the
// field's path.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "customer_analytics/v1/analytics_service.pb.h"
#include "predict/cohort_report.h"
#include "predict/migration_report.h"
#include "predict/prediction_report.h"

namespace analytics::api {

namespace v1 = ::customer_analytics::v1;

// Longest horizon accepted: 520 weeks.
inline constexpr double kMaxHorizonDays = 520 * 7;

struct PredictionRequest {
  predict::PredictionQuery query;
  predict::ClvOptions clv;
};

// `field` names the options message ("options", "prediction_options").
absl::StatusOr<PredictionRequest> PredictionRequestFromProto(const v1::Filter& filter,
                                                             const v1::PredictionOptions& options,
                                                             std::string_view field);
absl::StatusOr<TierThresholds> ThresholdsFromProto(const v1::TierThresholds& proto,
                                                   std::string_view field);

// The selection of a ListCustomerPredictions request, offset and limit
// aside (the page token and page size give them).
absl::StatusOr<predict::PredictionSelection> PredictionSelectionFromProto(
    const v1::ListCustomerPredictionsRequest& request);
// Page-token fingerprint of the normalized request (page_token.h).
std::uint64_t ListPredictionsFingerprint(const PredictionRequest& request,
                                         const predict::PredictionSelection& selection);

void PredictionModelToProto(const predict::PredictionModel& model,
                            v1::GetPredictionFitResponse& out);
void PredictedCustomerToProto(const predict::PredictedCustomer& customer,
                              v1::CustomerPrediction& out);
void CohortReportToProto(const CohortReport& report, v1::GetCohortsResponse& out);
void MigrationReportToProto(const MigrationReport& report, v1::GetSegmentMigrationResponse& out);

}  // namespace analytics::api
