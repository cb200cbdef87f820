#!/usr/bin/python3
"""A client in another language reads the AIP-193 error details: Python grpcio
(Debian's python3-grpcio) calls the real server with bad requests and parses
the grpc-status-details-bin trailer as google.rpc.Status, its details as
google.rpc.BadRequest and google.rpc.ErrorInfo. No generated code and no
grpcio-status package: the message classes come from a descriptor set of the
API and the vendored google/rpc protos, written by protoc at build time.

Usage: error_details_test.py SERVER_BINARY DESCRIPTOR_SET
"""
import os
import sys

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from descriptor_messages import load_messages  # noqa: E402
from server_process import ServerProcess  # noqa: E402

SERVICE = "/customer_analytics.v1.AnalyticsService/"


def details_of(error, message):
    """The google.rpc.Status of a failed call and its details by type name."""
    trailer = [value for key, value in error.trailing_metadata() or ()
               if key == "grpc-status-details-bin"]
    assert len(trailer) == 1, f"no grpc-status-details-bin in {error.trailing_metadata()}"
    status = message("google.rpc.Status").FromString(trailer[0])
    assert status.code == error.code().value[0], (status.code, error.code())
    assert status.message == error.details(), (status.message, error.details())
    unpacked = {}
    for any_detail in status.details:
        name = any_detail.type_url.rsplit("/", 1)[-1]
        unpacked.setdefault(name, []).append(message(name).FromString(any_detail.value))
    return unpacked


def expect_field_error(call, request, method, field, message):
    try:
        call(request, timeout=30)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
        details = details_of(error, message)
        [bad_request] = details["google.rpc.BadRequest"]
        [violation] = bad_request.field_violations
        assert violation.field == field, (violation.field, field)
        assert violation.description, violation
        assert error.details() == f"{field}: {violation.description}", error.details()
        [info] = details["google.rpc.ErrorInfo"]
        assert info.reason == "INVALID_FIELD", info
        assert info.domain == "customer-analytics", info
        assert info.metadata["method"] == method, info
        assert info.metadata["field"] == field, info
        print(f"{method}: {violation.field}: {violation.description}")
        return
    raise AssertionError(f"{method} should have failed")


def main():
    server_binary, descriptor_set = sys.argv[1:3]
    message, _ = load_messages(descriptor_set)

    def rpc(channel, method, request_type, response_type):
        return channel.unary_unary(
            SERVICE + method,
            request_serializer=message(request_type).SerializeToString,
            response_deserializer=message(response_type).FromString)

    with ServerProcess(server_binary) as server, grpc.insecure_channel(server.address) as channel:
        get_customer = rpc(channel, "GetCustomer", "customer_analytics.v1.GetCustomerRequest",
                           "customer_analytics.v1.GetCustomerResponse")
        get_kpis = rpc(channel, "GetKpis", "customer_analytics.v1.GetKpisRequest",
                       "customer_analytics.v1.GetKpisResponse")
        list_customers = rpc(channel, "ListCustomers",
                             "customer_analytics.v1.ListCustomersRequest",
                             "customer_analytics.v1.ListCustomersResponse")
        GetKpisRequest = message("customer_analytics.v1.GetKpisRequest")
        ListCustomersRequest = message("customer_analytics.v1.ListCustomersRequest")

        expect_field_error(get_customer, message("customer_analytics.v1.GetCustomerRequest")(),
                           "GetCustomer", "customer_id", message)
        kpis = GetKpisRequest()
        kpis.filter.end_date = "2024-13-01"
        expect_field_error(get_kpis, kpis, "GetKpis", "filter.end_date", message)
        expect_field_error(list_customers, ListCustomersRequest(order_by="loudness desc"),
                           "ListCustomers", "order_by", message)

        # An error about no field: an ErrorInfo, no BadRequest.
        try:
            get_customer(message("customer_analytics.v1.GetCustomerRequest")(
                customer_id="nobody"), timeout=30)
            raise AssertionError("GetCustomer(nobody) should have failed")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND, error
            details = details_of(error, message)
            assert "google.rpc.BadRequest" not in details, details
            [info] = details["google.rpc.ErrorInfo"]
            assert (info.reason, info.domain) == ("NOT_FOUND", "customer-analytics"), info
            print(f"GetCustomer: {info.reason} ({info.domain})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
