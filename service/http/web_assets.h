// The dashboard's static files (web/) and the OpenAPI document, compiled
// into the binary by embed_assets.cmake so the page works offline and the
// server ships as one file.
#pragma once

#include <cstddef>
#include <string_view>

namespace analytics::http {

struct WebAsset {
  std::string_view path;  // URL path, "/index.html"
  std::string_view content_type;
  std::string_view data;
};

extern const WebAsset kWebAssets[];
extern const std::size_t kWebAssetCount;

}  // namespace analytics::http
