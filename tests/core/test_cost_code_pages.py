"""EBS → Procore cost codes mapped a page of combinations at a time (issue #15) come out as the partition mapped
whole would: a division once, a code two combinations would make refused for the later one, each project's cost
codes read from Procore once."""

from datetime import datetime

from ml_connector_dagster.assets.procore import oracle_ebs as ebs_to_procore

from ml_connector_dagster.mapping import oracle_ebs_procore as forward
from ml_connector_dagster.spool import KeyMap, KeySet

RULES = forward.load_pair_rules()


def combination(ccid: str, account: str, division: str = "03") -> dict:
    return {
        "CODE_COMBINATION_ID": ccid,
        "SEGMENT1": "01",
        "SEGMENT2": "1100",
        "SEGMENT3": account,
        "SEGMENT4": division,
        "SEGMENT3_DESC": f"Account {account}",
        "SEGMENT4_DESC": f"Division {division}",
        "CONCATENATED_SEGMENTS": f"01-1100-{account}-{division}",
    }


class Procore:
    def __init__(self):
        self.reads: list[int] = []

    def cost_codes(self, project: int) -> list[dict]:
        self.reads.append(project)
        return []

    def known(self, *_, **__) -> None:
        pass


def test_pages_of_combinations_send_a_division_once_and_refuse_a_code_claimed_on_an_earlier_page(ledger):
    procore = Procore()
    pages = [
        [combination("100", "5100"), combination("101", "5200")],
        [combination("102", "5300"), combination("103", "5100")],
    ]
    with KeySet() as divisions, KeyMap() as claimed:
        carried = ebs_to_procore.Carried(divisions, claimed)
        first, second = (
            ebs_to_procore.cost_code_payloads(page, procore, ledger, RULES, datetime(2026, 10, 20), carried)
            for page in pages
        )
    assert sorted(r.source_key for r in first.records) == ["100", "101", "division.1100.03"]
    assert [r.source_key for r in second.records] == ["102"]
    [refused] = second.rejected
    assert refused.source_key == "103" and "combinations 100 and 103 both make cost code 03-5100" in refused.reason
    assert procore.reads == [101]
