"""Wire definitions of the gRPC APIs the connector speaks: `pubsub_api.proto` (Salesforce Pub/Sub API, package
`eventbus.v1`, written for this project from crm_targets.md §1.10) and the code generated from it,
`pubsub_api_pb2.py` (messages) and `pubsub_api_pb2_grpc.py` (client stub and servicer base), shared by the
Salesforce emulator and the connector's client.

The generated files are committed; after editing the .proto, regenerate them from the repository root with the
generator pinned (it is not a project dependency, and a newer one would raise the protobuf/grpcio floors in
pyproject.toml, which follow what it generates):

    pip install grpcio-tools==1.66.2
    python -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. ml_connector_dagster/protos/pubsub_api.proto
"""
