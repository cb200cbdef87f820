#include "metrics/registry.h"

// ANALYTICS_VERSION and ANALYTICS_GIT_SHA come from service/metrics/CMakeLists.txt,
// on this file only, so a new commit recompiles one small file.
#ifndef ANALYTICS_VERSION
#define ANALYTICS_VERSION "unknown"
#endif
#ifndef ANALYTICS_GIT_SHA
#define ANALYTICS_GIT_SHA "unknown"
#endif

namespace analytics::metrics {

BuildInfo CompiledBuildInfo() { return BuildInfo{ANALYTICS_VERSION, ANALYTICS_GIT_SHA}; }

}  // namespace analytics::metrics
