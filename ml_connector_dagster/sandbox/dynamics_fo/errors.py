"""F&O's error answers (microsoft.md §3.7): an OData v4 error whose `code` is empty and whose useful text is in
`innererror.message`, with the .NET exception type and a stack trace, as the AOS serialises them."""

WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
ODATA_EXCEPTION = "Microsoft.OData.ODataException"
# Guess: the sheet leaves the type for refused tokens, throttling and unknown resources open; these are the .NET
# exception types the OData stack would raise for them.
AUTH_EXCEPTION = "System.UnauthorizedAccessException"
THROTTLE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.ThrottlingException"
_FRAMES = {
    WRITE_EXCEPTION: "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor."
    "CreateEntity_Save(...)",
    ODATA_EXCEPTION: "   at Microsoft.OData.UriParser.ODataUriParser.ParsePath()",
}


class FoError(Exception):
    """A refused request; `status` None means a write failure whose status depends on where it happened."""

    def __init__(self, status: int | None, message: str, exception_type: str = ODATA_EXCEPTION):
        super().__init__(message)
        self.status, self.message, self.exception_type = status, message, exception_type

    def body(self) -> dict:
        return {
            "error": {
                "code": "",
                "message": "An error has occurred.",
                "innererror": {
                    "message": self.message,
                    "type": self.exception_type,
                    "stacktrace": _FRAMES.get(self.exception_type, ""),
                },
            }
        }


def write_failed(aot_name: str, *warnings: str) -> FoError:
    """What the entity's validation puts in the infolog, joined as F&O does."""
    infolog = "; ".join(f"Warning: {warning}" for warning in warnings)
    return FoError(None, f"Write failed for table row of type '{aot_name}'. Infolog: {infolog}", WRITE_EXCEPTION)


def not_in_related_table(aot_name: str, field: str, label: str, value: object, related: str) -> FoError:
    return write_failed(
        aot_name,
        f"The value '{value}' in field '{label}' is not found in the related table '{related}'.",
        f"validateField failed on field '{aot_name}.{field}'.",
    )


def must_be_filled_in(aot_name: str, label: str) -> FoError:
    return write_failed(
        aot_name, f"Field '{label}' must be filled in.", f"validateWrite failed on data source '{aot_name}'."
    )


def not_found(segment: str) -> FoError:
    # Guess: the body text for a missing row is not in the sheet; this is the OData stack's message for it.
    return FoError(404, f"Resource not found for the segment '{segment}'.")
