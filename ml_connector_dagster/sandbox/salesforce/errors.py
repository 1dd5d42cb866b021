"""Salesforce's error shapes (crm_targets.md §1.3): a request fails with a JSON array of
`{message, errorCode, fields}`; one record of a collection or a bulk job fails with `{statusCode, message, fields}`."""

from dataclasses import dataclass

NOT_FOUND = "The requested resource does not exist"


@dataclass
class SfError(Exception):
    status: int
    code: str
    message: str
    fields: tuple[str, ...] = ()

    def body(self) -> list[dict]:
        return [{"message": self.message, "errorCode": self.code, "fields": list(self.fields)}]

    def result(self) -> dict:
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}


def not_found() -> SfError:
    return SfError(404, "NOT_FOUND", NOT_FOUND)


class MultipleMatches(SfError):
    """An External ID value that several records share: a single upsert answers 300 with their URLs, a collection
    or bulk row fails with DUPLICATE_EXTERNAL_ID naming them."""

    def __init__(self, field: str, ids: list[str]):
        super().__init__(
            300,
            "DUPLICATE_EXTERNAL_ID",
            f"{field}: more than one record found for external id field: [{', '.join(ids)}]",
            (field,),
        )
        self.ids = ids
