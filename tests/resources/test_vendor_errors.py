"""Each system's error replies, read by its errors.py and raised by the one shared function (http.raise_for_vendor):
which error a reply becomes, what it says, and how a (status, code) classifies for the ledger."""

import httpx
import pytest
from ml_connector_dagster.resources.dynamics_fo import errors as fo
from ml_connector_dagster.resources.dynamics_fo.targets import DynamicsFoWriter
from ml_connector_dagster.resources.dynamics_sales import errors as dataverse
from ml_connector_dagster.resources.dynamics_sales.client import DataverseClient
from ml_connector_dagster.resources.oracle_ebs import errors as ebs
from ml_connector_dagster.resources.oracle_ebs.service import EbsService
from ml_connector_dagster.resources.salesforce import errors as salesforce
from ml_connector_dagster.resources.salesforce.client import SalesforceClient
from ml_connector_dagster.resources.sap_ecc import errors as sap

from ml_connector_dagster.http import ApiError, AuthError, CallCounter, raise_for_vendor, vendor_error
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import deletes
from ml_connector_dagster.odata_batch import PartResponse
from ml_connector_dagster.redaction import register_secret


def reply(status: int, body=None, text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers={"Content-Type": "text/plain"})
    return httpx.Response(status, json=body)


def dataverse_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def test_a_success_is_handed_back_untouched():
    answer = reply(204)
    assert raise_for_vendor(dataverse.ERRORS, answer, "PATCH accounts(1)") is answer


def test_a_refusal_is_an_auth_error_with_the_vendors_code_and_words():
    with pytest.raises(AuthError) as refused:
        raise_for_vendor(dataverse.ERRORS, reply(403, dataverse_error("0x80040220", "no privilege")), "GET accounts")
    assert str(refused.value) == "dynamics_sales: GET accounts refused: no privilege (HTTP 403) [0x80040220]"
    assert (refused.value.status, refused.value.code) == (403, "0x80040220")


def test_any_other_error_is_an_api_error_that_says_which_call_failed():
    with pytest.raises(ApiError) as failed:
        raise_for_vendor(dataverse.ERRORS, reply(400, dataverse_error("0x80048d19", "bad column")), "POST accounts")
    assert not isinstance(failed.value, AuthError)
    assert str(failed.value) == "dynamics_sales: POST accounts failed: bad column (HTTP 400) [0x80048d19]"


def test_a_reply_that_is_not_the_vendors_json_speaks_for_itself():
    gateway = vendor_error(dataverse.ERRORS, reply(502, text="<html>Bad Gateway</html>"), "GET accounts")
    assert "GET accounts failed: <html>Bad Gateway</html> (HTTP 502)" in str(gateway)
    unknown = vendor_error(ebs.ERRORS, reply(404, {"detail": "no such service"}), "GET_PARTIES")
    assert "no such service" in str(unknown) and unknown.code is None


def test_secrets_in_a_vendors_message_are_redacted():
    register_secret("s3cr3t-value-for-errors")
    error = vendor_error(
        salesforce.ERRORS, reply(400, [{"errorCode": "X", "message": "echo s3cr3t-value-for-errors"}]), "GET /query"
    )
    assert "s3cr3t-value-for-errors" not in str(error)


# Dataverse ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status,code,expected",
    [
        (404, "0x80040217", ErrorClass.DEPENDENCY),
        (404, "0x80060891", ErrorClass.DEPENDENCY),
        (412, "0x80060892", ErrorClass.CONFLICT),
        (412, "0x80060882", ErrorClass.CONFLICT),
        (429, "0x80072322", ErrorClass.QUOTA),
        (400, "0X80072321", ErrorClass.QUOTA),
        (401, None, ErrorClass.AUTH),
        (403, None, ErrorClass.AUTH),
        (409, None, ErrorClass.CONFLICT),
        (429, None, ErrorClass.QUOTA),
        (500, None, ErrorClass.TRANSIENT),
        (400, "0x80048d19", ErrorClass.VALIDATION),
    ],
)
def test_dataverse_classifies_by_code_first_then_by_status(status, code, expected):
    assert dataverse.classify(status, code) == expected


# F&O ---------------------------------------------------------------------------------------------------------------
def fo_error(message: str) -> dict:
    return {"error": {"code": "", "message": "An error has occurred.", "innererror": {"message": message}}}


def test_a_write_fo_refuses_is_the_records_fo_error_and_a_refused_read_fails_the_run():
    refused = reply(400, fo_error("Field 'Customer group' must be filled in."))
    write = vendor_error(fo.ERRORS, refused, "POST CustomersV3", error=fo.error_type("POST", 400))
    read = vendor_error(fo.ERRORS, refused, "GET CustomersV3", error=fo.error_type("GET", 400))
    assert isinstance(write, fo.FoError) and "must be filled in" in str(write)
    assert type(read) is ApiError
    assert fo.error_type("POST", 503) is ApiError, "an unavailable AOS fails the run, it is no record's fault"


def test_fo_refusing_the_token_is_an_auth_error():
    with pytest.raises(AuthError, match="GET CustomersV3 refused: not registered"):
        raise_for_vendor(fo.ERRORS, reply(401, fo_error("not registered")), "GET CustomersV3")


@pytest.mark.parametrize(
    "status,expected",
    [
        (429, ErrorClass.TRANSIENT),
        (503, ErrorClass.TRANSIENT),
        (400, ErrorClass.VALIDATION),
        (500, ErrorClass.VALIDATION),
        (401, ErrorClass.AUTH),
    ],
)
def test_a_failed_change_set_is_its_records_failure_classified_by_status(status, expected):
    failed = fo.failure("sf-1", [PartResponse(status, {}, fo_error("Write failed"))])
    assert (failed.ok, failed.error_class, failed.error_message) == (False, expected, "Write failed")
    assert failed.error_code == str(status), "F&O leaves its code empty: the status stands in for it"


def test_a_change_set_without_a_failed_part_is_no_failure_and_a_silent_failure_names_its_status():
    assert fo.failure("sf-1", [PartResponse(201, {}, {}), PartResponse(201, {}, {})]) is None
    assert fo.failure("sf-1", [PartResponse(201, {}, {}), PartResponse(500, {}, None)]).error_message == "HTTP 500"


# Salesforce --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code,expected",
    [
        ("UNABLE_TO_LOCK_ROW", ErrorClass.TRANSIENT),
        ("DUPLICATE_VALUE", ErrorClass.CONFLICT),
        ("DUPLICATE_EXTERNAL_ID", ErrorClass.CONFLICT),
        ("INVALID_CROSS_REFERENCE_KEY", ErrorClass.DEPENDENCY),
        ("ENTITY_IS_DELETED", ErrorClass.DEPENDENCY),
        ("REQUIRED_FIELD_MISSING", ErrorClass.VALIDATION),
        (None, ErrorClass.VALIDATION),
    ],
)
def test_a_salesforce_records_status_code_classifies_it(code, expected):
    assert salesforce.classify(None, code) == expected


def test_an_expired_salesforce_session_is_an_auth_error_and_a_bad_query_names_its_code():
    session = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    with pytest.raises(AuthError, match="Session expired") as refused:
        raise_for_vendor(salesforce.ERRORS, reply(401, session), "GET /services/data/v63.0/query")
    assert refused.value.code == "INVALID_SESSION_ID"
    bad = vendor_error(
        salesforce.ERRORS,
        reply(400, [{"message": "No such column", "errorCode": "INVALID_FIELD"}]),
        "GET /services/data/v63.0/query",
    )
    assert type(bad) is ApiError and bad.code == "INVALID_FIELD" and "No such column" in str(bad)


# SAP Gateway -------------------------------------------------------------------------------------------------------
def test_a_refused_sap_logon_says_what_to_check():
    with pytest.raises(AuthError) as refused:
        raise_for_vendor(sap.ERRORS, reply(401, text="Logon failed"), "GET LFA1Set")
    assert str(refused.value) == "sap_ecc: logon refused: check user, password and sap-client (HTTP 401)"


def test_a_gateway_error_carries_its_code_and_message_text():
    body = {"error": {"code": "/IWBEP/CM_MGW_RT/020", "message": {"lang": "en", "value": "Property NOPE not found"}}}
    failed = vendor_error(sap.ERRORS, reply(400, body), "GET LFA1Set")
    assert failed.code == "/IWBEP/CM_MGW_RT/020" and "GET LFA1Set failed: Property NOPE not found" in str(failed)


@pytest.mark.parametrize(
    "status,expected",
    [
        (401, ErrorClass.AUTH),
        (500, ErrorClass.TRANSIENT),
        (503, ErrorClass.TRANSIENT),
        (400, ErrorClass.VALIDATION),
        (404, ErrorClass.VALIDATION),
    ],
)
def test_sap_gateway_classifies_by_status(status, expected):
    assert sap.classify(status, None) == expected


# EBS ---------------------------------------------------------------------------------------------------------------
def ebs_service(*answers: httpx.Response) -> EbsService:
    pending = list(answers)
    http = httpx.Client(base_url="http://ebs", transport=httpx.MockTransport(lambda request: pending.pop(0)))
    return EbsService(
        http, alias="xxmlc_sync", rest_header={}, counter=CallCounter(), page_size=10, server_timezone=None
    )


def fault(code: str, message: str) -> dict:
    return {"ISGServiceFault": {"Code": code, "Message": message}}


def test_an_isg_fault_is_an_error_whatever_the_status_and_a_missing_grant_is_an_auth_error():
    with pytest.raises(AuthError, match="Integration Repository") as refused:
        ebs_service(reply(200, fault("ISG_SERVICE_AUTH_FAILURE", "not authorized"))).call("GET_PARTIES", {})
    assert refused.value.code == "ISG_SERVICE_AUTH_FAILURE"
    with pytest.raises(ApiError, match="check service_alias") as missing:
        ebs_service(reply(404, fault("ISG_INVALID_ALIAS", "no such alias"))).call("GET_PARTIES", {})
    assert type(missing.value) is ApiError and missing.value.code == "ISG_INVALID_ALIAS"


def test_a_call_refused_after_a_fresh_ebs_login_says_so():
    with pytest.raises(AuthError) as refused:
        ebs_service(reply(401, text="Unauthorized")).call("GET_PARTIES", {})
    assert str(refused.value) == "oracle_ebs: GET_PARTIES: credentials refused after a fresh login (HTTP 401)"


def test_the_packages_own_error_status_is_an_api_error_with_its_message():
    output = {"OutputParameters": {"X_RETURN_STATUS": "E", "X_MSG_DATA": "P_LIMIT must be at most 1000"}}
    with pytest.raises(ApiError, match="P_LIMIT must be at most 1000") as refused:
        ebs_service(reply(200, output)).call("GET_PARTIES", {})
    assert refused.value.code == "X_RETURN_STATUS=E"


@pytest.mark.parametrize(
    "status,code,expected",
    [
        (403, "ISG_SERVICE_AUTH_FAILURE", ErrorClass.AUTH),
        (403, "FND_SOA_AUTHORIZATION_FAILURE", ErrorClass.AUTH),
        (401, None, ErrorClass.AUTH),
        (404, "ISG_INVALID_ALIAS", ErrorClass.VALIDATION),
        (500, None, ErrorClass.TRANSIENT),
        (200, "ISG_INVALID_FUNCTION", ErrorClass.VALIDATION),
    ],
)
def test_ebs_classifies_grant_faults_as_auth(status, code, expected):
    assert ebs.classify(status, code) == expected


# targets that delete -----------------------------------------------------------------------------------------------
def test_of_the_target_writers_only_dataverse_deletes():
    http, counter = httpx.Client(), CallCounter()
    assert deletes(DataverseClient(http, counter=counter, external_id_column="mlc_externalid"))
    assert not deletes(DynamicsFoWriter(http, counter=counter))
    assert not deletes(
        SalesforceClient(http, counter=counter, api_version="63.0", external_id_fields={}, bulk_threshold=2000)
    )
