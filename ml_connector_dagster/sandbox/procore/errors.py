"""Procore's error answers (crm_targets.md §3.5): v1.0 endpoints answer `{"errors": ...}`, a message or a map of field
to messages; the token endpoint answers Doorkeeper's `{"error", "error_description"}`. The exact wordings are not
published: each is a guess, kept in one place."""

from starlette.responses import JSONResponse, Response

FieldErrors = dict[str, list[str]]


class ProcoreError(Exception):
    def __init__(self, status: int, errors, headers: dict[str, str] | None = None):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse({"errors": self.errors}, status_code=self.status, headers=self.headers)


class Invalid(Exception):
    """Validation failures of one record, field → messages: 422 on create/update, a per-entry error in a sync."""

    def __init__(self, errors: FieldErrors, status: int = 422):
        super().__init__(errors)
        self.errors = errors
        self.status = status


def missing_param(name: str) -> ProcoreError:
    # Guess: Rails' ActionController::ParameterMissing wording, which Procore's v1.0 API lets through.
    return ProcoreError(400, f"param is missing or the value is empty: {name}")


def bad_request(message: str) -> ProcoreError:
    return ProcoreError(400, message)


def not_found() -> ProcoreError:
    # Guess: the wording of a record that does not exist or is out of the caller's reach.
    return ProcoreError(404, "Not Found")


def forbidden(message: str = "You do not have permission to perform this action") -> ProcoreError:
    # Guess: the wording of a permission refusal.
    return ProcoreError(403, message)


def unauthorized(description: str = "The access token is invalid") -> Response:
    # Guess (§3.2 marks the JSON shape uncertain): Doorkeeper's invalid_token answer with its WWW-Authenticate.
    return JSONResponse(
        {"error": "invalid_token", "error_description": description},
        status_code=401,
        headers={
            "WWW-Authenticate": f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{description}"'
        },
    )
