"""The ledger side of a two-way pair (mapping/two_way.py decides, this keeps): which ERP record and which CRM
record are one business record, and what both held when a run last left them agreeing.

Each direction is a pair of its own in the ledger, so a link can be known three ways: an agreement recorded here
(`agreed_values`), the forward pair's sync state (ERP key → the CRM id it wrote), or the reverse pair's (CRM id → the
ERP key it wrote). A link is never lost to a replay or a run that did not settle: the sync state alone still links
the two records, and their first merge treats every differing field as edited on both sides.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ml_connector_dagster.ledger import Agreed, Ledger


@dataclass(frozen=True)
class Link:
    """One shared object of a two-way pair (`two_way`, e.g. jde__zoho_crm) and where each direction keeps it: the
    forward pair writes `crm_object` records keyed by ERP key, the reverse pair `erp_object` records keyed by CRM id."""

    two_way: str
    object: str
    forward_pair: str
    crm_object: str
    reverse_pair: str
    erp_object: str

    def crm_ids(self, ledger: Ledger, erp_keys: Iterable[str]) -> dict[str, str]:
        """ERP key → CRM id of the business records either direction linked."""
        keys = set(erp_keys)
        found = {
            key: state.target_id
            for key, state in ledger.synced(self.forward_pair, self.crm_object, keys).items()
            if state.target_id
        }
        found.update(
            {erp: crm for crm, erp in ledger.keys_of_targets(self.reverse_pair, self.erp_object, keys).items()}
        )
        found.update({a.erp_key: a.crm_key for a in ledger.agreed(self.two_way, self.object, erp_keys=keys)})
        return found

    def erp_keys(self, ledger: Ledger, crm_ids: Iterable[str]) -> dict[str, str]:
        """CRM id → ERP key of the business records either direction linked."""
        ids = set(crm_ids)
        found = {
            key: state.target_id
            for key, state in ledger.synced(self.reverse_pair, self.erp_object, ids).items()
            if state.target_id
        }
        found.update(ledger.keys_of_targets(self.forward_pair, self.crm_object, ids))
        found.update({a.crm_key: a.erp_key for a in ledger.agreed(self.two_way, self.object, crm_keys=ids)})
        return found

    def agreed(self, ledger: Ledger, *, erp_keys: Iterable[str] = (), crm_ids: Iterable[str] = ()) -> list[Agreed]:
        return ledger.agreed(self.two_way, self.object, erp_keys=erp_keys, crm_keys=crm_ids)

    def settle(self, ledger: Ledger, result, *, forward: bool, run_id: str | None) -> int:
        """After a direction's load: each record of `result` (a TwoWayResult) that reached its target, or found it
        agreeing, is recorded as agreed with what both sides now hold; a failed or waiting one keeps its earlier
        agreement. A record created by the load is linked by the id the target gave it. Returns how many settled."""
        pair, target_object = (self.forward_pair, self.crm_object) if forward else (self.reverse_pair, self.erp_object)
        keys = list(result.agreements)
        failed = ledger.dead_letter_keys(pair, target_object)
        made = ledger.synced(pair, target_object, keys)
        agreements = []
        for key, agreement in result.agreements.items():
            if key in failed:
                continue
            other = agreement.crm_key if forward else agreement.erp_key
            if other is None and key in made:
                other = made[key].target_id
            if other is None:
                continue
            erp, crm = (key, other) if forward else (other, key)
            agreements.append(Agreed(erp, crm, agreement.values))
        ledger.agree(self.two_way, self.object, agreements, run_id=run_id)
        return len(agreements)
