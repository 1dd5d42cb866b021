"""SAP keeps a migrated partner number as it was loaded: `100001` can stand next to `0000100001`, and both become
one external id. Both go to dead letters as a key conflict naming each, neither is written, the uniqueness check
says so, and the run goes on."""

import pytest

from tests.e2e.conftest import NOW, SAP_JOB

TODAY = NOW.date().isoformat()
PARTNERS = {"vendor": ("LFA1", "LIFNR"), "customer": ("KNA1", "KUNNR")}


@pytest.mark.parametrize("kind", PARTNERS)
def test_two_partner_numbers_that_differ_only_by_leading_zeros_are_both_conflict_dead_letters(env, kind):
    table, field = PARTNERS[kind]
    env.run_all(SAP_JOB)
    account = next(r for r in env.dataverse.rows("account") if r["mlc_externalid"].startswith(f"sap_ecc.{kind}."))
    padded = account["mlc_externalid"].rsplit(".", 1)[1].zfill(10)
    [original] = env.sap.rows(table, **{field: padded})
    # the padded partner is edited today, and a copy under the unpadded number is migrated in today
    env.sap.update_row(table, {field: padded}, {"NAME1": "Geändert heute"})
    copy = {k: v for k, v in original.items() if k != "MANDT"}
    env.sap.insert_row(table, {**copy, field: padded.lstrip("0"), "ERDAT": NOW.strftime("%Y%m%d"), "NAME1": "Kopie"})

    result = env.run(TODAY, job=SAP_JOB)
    assert result.success
    [unchanged] = env.dataverse.rows("account", mlc_externalid=account["mlc_externalid"])
    assert unchanged["name"] == account["name"], "neither record is written"
    [letter] = env.ledger.open_dead_letters(SAP_JOB, "account", "conflict", source_keys=[account["mlc_externalid"]])
    assert f"{field} '{padded}'" in letter.error_message and f"{field} '{padded.lstrip('0')}'" in letter.error_message
    [check] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "no_two_source_accounts_share_an_external_id"
    ]
    assert not check.passed and check.metadata["conflict_dead_letters"].value == 1
    assert account["mlc_externalid"] in check.metadata["examples"].value
    accounted = [e for e in result.get_asset_check_evaluations() if e.check_name.startswith("every_account_in_target")]
    assert all(e.passed for e in accounted), "the conflicting key is accounted for as a dead letter"
