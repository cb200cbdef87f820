#!/usr/bin/python3
"""A client in another language: Python grpcio (Debian's python3-grpcio) uploads
a CSV through ImportCsv and reads the KPIs back. No generated code: the message
classes come from a descriptor set that protoc wrote at build time, which is
what any language's dynamic client can do with the published .proto files.

Usage: import_with_python.py SERVER_BINARY DESCRIPTOR_SET CSV_FILE
Checks the dataset README's figures when CSV_FILE is superstore-classic.csv; when that file is
absent, imports the trimmed fixture (tests/fixtures/superstore-trimmed.csv) instead and checks
the figures make_superstore_fixture.py computes from it.
"""
import os
import subprocess
import sys

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import make_superstore_fixture  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def load_messages(descriptor_set_path):
    file_set = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set_path, "rb") as f:
        file_set.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for proto in file_set.file:
        pool.Add(proto)
    def message(name):
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(name)) \
            if hasattr(message_factory, "GetMessageClass") \
            else message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(name))
    return message


def main():
    server_binary, descriptor_set, csv_path = sys.argv[1:4]
    if not os.path.exists(csv_path):
        print(f"dataset not found at {csv_path}: importing the trimmed fixture")
        csv_path = make_superstore_fixture.FIXTURE
    message = load_messages(descriptor_set)
    ImportCsvRequest = message("customer_analytics.v1.ImportCsvRequest")
    ImportCsvResponse = message("customer_analytics.v1.ImportCsvResponse")
    GetKpisRequest = message("customer_analytics.v1.GetKpisRequest")
    GetKpisResponse = message("customer_analytics.v1.GetKpisResponse")

    server = subprocess.Popen(
        [server_binary, "--listen", "127.0.0.1:0", "--db", ":memory:", "--metrics-listen", ""],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = server.stdout.readline().strip()
        assert first.startswith("listening on "), first
        channel = grpc.insecure_channel(first[len("listening on "):])
        import_csv = channel.stream_unary(
            "/customer_analytics.v1.AnalyticsService/ImportCsv",
            request_serializer=ImportCsvRequest.SerializeToString,
            response_deserializer=ImportCsvResponse.FromString)
        get_kpis = channel.unary_unary(
            "/customer_analytics.v1.AnalyticsService/GetKpis",
            request_serializer=GetKpisRequest.SerializeToString,
            response_deserializer=GetKpisResponse.FromString)

        def requests():
            options = ImportCsvRequest()
            options.options.date_order = 1  # DATE_ORDER_DMY
            yield options
            with open(csv_path, "rb") as f:
                while chunk := f.read(32 * 1024 + 7):  # odd size: cuts land anywhere
                    yield ImportCsvRequest(chunk=chunk)
            # The end mark: the server commits only a stream that ends right after it.
            yield ImportCsvRequest(last=True)

        reply = import_csv(requests(), timeout=120)
        print(f"imported: read={reply.lines_read} accepted={reply.accepted} "
              f"rejected={reply.rejected} committed={reply.committed}")
        assert reply.committed and reply.rejected == 0, reply

        kpis = get_kpis(GetKpisRequest(), timeout=30).current
        print(f"revenue={kpis.revenue_micros / 1e6:.4f} profit={kpis.profit_micros / 1e6:.4f} "
              f"orders={kpis.orders} customers={kpis.customers}")
        expected = None
        if os.path.basename(csv_path) == "superstore-classic.csv":
            expected = {"lines": 9994, "sales": 2_297_200_860_300, "profit": 286_397_021_700,
                        "orders": 5009, "customers": 793}  # the dataset README's figures
        elif csv_path == make_superstore_fixture.FIXTURE:
            with open(csv_path, "rb") as f:
                expected = make_superstore_fixture.figures(f.read())
        if expected is not None:
            assert reply.lines_read == expected["lines"], reply.lines_read
            # Detected: C1 bytes (0x8E é, 0x9A ö, ...) and bare-CR line ends.
            encodings = ImportCsvResponse.DESCRIPTOR.fields_by_name["encoding"].enum_type
            assert reply.encoding == encodings.values_by_name["ENCODING_MAC_ROMAN"].number, \
                reply.encoding
            assert kpis.revenue_micros == expected["sales"], kpis.revenue_micros
            assert kpis.profit_micros == expected["profit"], kpis.profit_micros
            assert (kpis.orders, kpis.customers) == (expected["orders"], expected["customers"]), \
                (kpis.orders, kpis.customers)
        print("OK")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
