"""Zoho CRM's error shape (crm_targets.md §2.2, §2.4): every failure, of a request or of one record, is
`{"code", "details", "message", "status": "error"}`; a request-level failure is that object as the whole body."""

from dataclasses import dataclass, field


@dataclass
class ZohoError(Exception):
    status: int
    code: str
    message: str
    details: dict = field(default_factory=dict)

    def body(self) -> dict:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


def invalid_data(api_name: str, json_path: str, message: str = "invalid data", **more) -> ZohoError:
    return ZohoError(400, "INVALID_DATA", message, {"api_name": api_name, "json_path": json_path, **more})


def required_param(param: str) -> ZohoError:
    return ZohoError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": param})


def invalid_param(param: str, message: str = "invalid data", **more) -> ZohoError:
    # Guess: a bad query parameter is INVALID_DATA naming the parameter, as Zoho's get-records page shows for per_page.
    return ZohoError(400, "INVALID_DATA", message, {"param_name": param, **more})


def invalid_module(name: str) -> ZohoError:
    return ZohoError(
        400, "INVALID_MODULE", "the module name given seems to be invalid", {"resource_path_index": 0, "module": name}
    )


def invalid_url() -> ZohoError:
    return ZohoError(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")


def invalid_token() -> ZohoError:
    return ZohoError(401, "INVALID_TOKEN", "invalid oauth token")
