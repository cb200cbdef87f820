// analytics-openapi DESCRIPTOR_SET OUT.json: the OpenAPI document of every
// service with google.api.http options in a descriptor set (protoc
// --include_imports --include_source_info), written at build time.
#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "http/openapi.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: analytics-openapi DESCRIPTOR_SET OUT.json\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  google::protobuf::FileDescriptorSet set;
  if (!in || !set.ParseFromIstream(&in)) {
    std::cerr << "analytics-openapi: cannot read " << argv[1] << "\n";
    return 1;
  }
  google::protobuf::DescriptorPool pool;
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptorProto& proto : set.file()) {
    const google::protobuf::FileDescriptor* file = pool.BuildFile(proto);
    if (file == nullptr) {
      std::cerr << "analytics-openapi: cannot build " << proto.name() << "\n";
      return 1;
    }
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  absl::StatusOr<std::string> document =
      analytics::http::OpenApiDocument(services, "Customer analytics HTTP/JSON API", "v1");
  if (!document.ok()) {
    std::cerr << "analytics-openapi: " << document.status().message() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << *document;
  return out ? 0 : 1;
}
