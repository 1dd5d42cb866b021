"""Zoho's official Python SDK (zohocrmsdk8-0) against the Zoho CRM emulator, unchanged: a custom environment whose
API domain and accounts URL are the emulator's `us` data centre, the refresh-token grant, its file token store and
field metadata in tmp_path; it reads, upserts and searches records."""

from datetime import UTC, datetime

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    BodyWrapper,
    GetRecordsParam,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.zoho_crm import ZohoCrmEmulator

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def sdk(tmp_path):
    emulator = ZohoCrmEmulator(clock=Clock(frozen_at=START))
    with SandboxServer([emulator]) as server:
        url = server.url("zoho_crm")
        environment = DataCenter.Environment(f"{url}/api/us", f"{url}/accounts/us/oauth/v2/token", f"{url}/api/us")
        token = OAuthToken(
            client_id=SANDBOX.zoho_client_id,
            client_secret=SANDBOX.zoho_client_secret,
            refresh_token=SANDBOX.zoho_refresh_token,
        )
        Initializer.initialize(
            environment=environment,
            token=token,
            store=FileStore(file_path=str(tmp_path / "tokens.csv")),
            sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=True),
            resource_path=str(tmp_path),
        )
        yield emulator


def test_the_sdk_reads_upserts_and_searches_accounts(sdk):
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Account_Name,JDE_Address_Number,Modified_Time")
    params.add(GetRecordsParam.per_page, 5)
    answer = RecordOperations("Accounts").get_records(params)
    assert answer.get_status_code() == 200, answer.get_object()
    wrapper = answer.get_object()
    assert isinstance(wrapper, ResponseWrapper) and len(wrapper.get_data()) == 5
    assert wrapper.get_info().get_more_records() is True

    record = Record()
    record.add_key_value("Account_Name", "Zoho SDK Ltd")
    record.add_key_value("JDE_Address_Number", "4242")
    body = BodyWrapper()
    body.set_data([record])
    body.set_duplicate_check_fields(["JDE_Address_Number"])
    body.set_trigger([])
    answer = RecordOperations("Accounts").upsert_records(body)
    assert answer.get_status_code() in (200, 201), answer.get_object()
    result = answer.get_object()
    assert isinstance(result, ActionWrapper)
    [outcome] = result.get_data()
    assert isinstance(outcome, SuccessResponse) and outcome.get_status().get_value() == "success"
    created = outcome.get_details()["id"]

    search = ParameterMap()
    search.add(SearchRecordsParam.criteria, "(JDE_Address_Number:equals:4242)")
    answer = RecordOperations("Accounts").search_records(search)
    assert answer.get_status_code() == 200, answer.get_object()
    [found] = answer.get_object().get_data()
    assert found.get_id() == int(created) and found.get_key_value("Account_Name") == "Zoho SDK Ltd"
    assert sdk.requests[0]["path"] == "/accounts/us/oauth/v2/token"
    assert all(r["headers"]["authorization"].startswith("Zoho-oauthtoken ") for r in list(sdk.requests)[1:])
