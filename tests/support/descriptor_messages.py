"""Protobuf message classes from a descriptor set, for the Python tests and
tools: they speak the API through grpcio or raw HTTP/2 without generated
Python code, from the descriptor set the build writes (tests/api's
customer_analytics.pb) or one protoc writes on the spot.

    message, pool = load_messages(path)
    KpisRequest = message("GetKpisRequest")   # short names: the API's package
    Status = message("google.rpc.Status")      # dotted names: as they are
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

API_PACKAGE = "customer_analytics.v1."


def load_pool(descriptor_set_path):
    file_set = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set_path, "rb") as f:
        file_set.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for proto in file_set.file:
        pool.Add(proto)
    return pool


def load_messages(descriptor_set_path):
    """(message, pool): message(name) is the class of a message of the set."""
    pool = load_pool(descriptor_set_path)
    # protobuf 4 has GetMessageClass; Debian 12's 3.21 only the factory.
    factory = None if hasattr(message_factory, "GetMessageClass") \
        else message_factory.MessageFactory(pool)

    def message(name):
        descriptor = pool.FindMessageTypeByName(name if "." in name else API_PACKAGE + name)
        return message_factory.GetMessageClass(descriptor) if factory is None \
            else factory.GetPrototype(descriptor)
    return message, pool
