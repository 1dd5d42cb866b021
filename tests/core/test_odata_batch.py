from ml_connector_dagster import odata_batch as batch


def test_compose_numbers_parts_and_carries_json_bodies():
    content_type, body = batch.compose(
        [batch.Operation("PATCH", "http://h/api/data/v9.2/accounts(k='1')", {"name": "Zoë"})]
    )
    text = body.decode()
    boundary = content_type.split('boundary="')[1].rstrip('"')
    assert text.startswith(f"--{boundary}\r\n") and text.endswith(f"--{boundary}--\r\n")
    assert "PATCH http://h/api/data/v9.2/accounts(k='1') HTTP/1.1" in text
    assert "Content-ID: 1" in text and '{"name": "Zoë"}' in text


def test_parse_reads_each_part_in_order_including_change_sets():
    body = (
        b"--batchresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        b"HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n\r\n\r\n"
        b"--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n"
        b"--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; odata.metadata=minimal\r\n\r\n"
        b'{"error":{"code":"0x80044331","message":"too long"}}\r\n'
        b"--changesetresponse_2--\r\n"
        b"--batchresponse_1--\r\n"
    )
    parts = batch.parse("multipart/mixed; boundary=batchresponse_1", body)
    assert [p.status for p in parts] == [204, 400]
    assert parts[1].body["error"]["code"] == "0x80044331"


def test_a_change_set_is_one_transaction_the_service_parser_reads_as_such():
    from ml_connector_dagster.sandbox import odata_multipart as multipart

    content_type, body = batch.compose(
        [
            batch.Operation("POST", "/data/SalesOrderHeadersV2", {"dataAreaId": "usmf"}),
            batch.Operation("POST", "/data/SalesOrderLines", {"dataAreaId": "usmf", "ItemNumber": "A0001"}),
        ],
        changeset=True,
    )
    [changeset] = multipart.parse_batch(content_type, body)
    assert isinstance(changeset, multipart.ChangeSet)
    assert [(r.method, r.url) for r in changeset.requests] == [
        ("POST", "/data/SalesOrderHeadersV2"),
        ("POST", "/data/SalesOrderLines"),
    ]
    assert [r.content_id for r in changeset.requests] == ["1", "2"]
