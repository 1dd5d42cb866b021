"""The sandbox's Zoho sales team, for the demo and the tests of the JD Edwards ↔ Zoho CRM pair. Everything goes
through the emulator's validated write path as a Zoho user would (watch channels are notified):

- `enter_before_go_live`: the team used Zoho before the first sync, so some JDE customers are there already, under
  their e-mail or tax id (and one customer twice: its e-mail on one account, its tax id on another, which the
  connector must refuse to guess between);
- `work_a_day`: after the first sync, reps edit synced accounts (a phone, payment terms, a credit limit Zoho does not
  own), enter new customers with contacts, a prospect, and one with payment terms JDE does not know.

Each is done once per seed: called again, it changes nothing and answers the same summary."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml_connector_dagster.sandbox.zoho_crm.emulator import ZohoCrmEmulator

DC = "us"
NOTE = "Entered by the sandbox sales team"


def _marked(emulator: "ZohoCrmEmulator", module: str, note: str) -> list[dict]:
    return [r for r in emulator.records(DC, module) if (r.get("Description") or "").startswith(note)]


def enter_before_go_live(emulator: "ZohoCrmEmulator", customers: list[dict], *, seed: int = 7) -> dict:
    """`customers`: JDE customers as {"AN8", "ALPH", "TAX", "EMAL"} (address-book entry, tax id, e-mail of line 0),
    at least 7 with both a tax id and an e-mail. Three are entered by e-mail, two by tax id, one twice."""
    note = f"{NOTE} before go-live (seed {seed})"
    if not _marked(emulator, "Accounts", note):
        usable = [c for c in customers if c.get("TAX") and c.get("EMAL")][:6]
        if len(usable) < 6:
            raise ValueError("enter_before_go_live needs six JDE customers with a tax id and an e-mail")
        by_email, by_tax, twice = usable[:3], usable[3:5], usable[5]
        records = [
            {
                "Account_Name": f"{c['ALPH']} (Zoho)",
                "Account_Email": c["EMAL"],
                "Phone": "555 0100",
                "Description": note,
            }
            for c in by_email
        ] + [{"Account_Name": c["ALPH"], "Tax_ID": c["TAX"], "Description": note} for c in by_tax]
        records += [
            {"Account_Name": f"{twice['ALPH']} Billing", "Account_Email": twice["EMAL"], "Description": note},
            {"Account_Name": f"{twice['ALPH']} Legal", "Tax_ID": twice["TAX"], "Description": note},
        ]
        emulator.create(DC, "Accounts", records)
    entered = _marked(emulator, "Accounts", note)
    return {"accounts": len(entered)}


def work_a_day(emulator: "ZohoCrmEmulator", *, seed: int = 7) -> dict:
    """Edits on accounts the connector synced, and new accounts with contacts."""
    note = f"{NOTE} (seed {seed})"
    if not _marked(emulator, "Accounts", note):
        synced = sorted(
            (r for r in emulator.records(DC, "Accounts") if r.get("JDE_Address_Number")),
            key=lambda r: int(r["JDE_Address_Number"]),
        )
        if len(synced) < 4:
            raise ValueError("work_a_day needs four accounts the connector synced")
        emulator.edit(DC, "Accounts", synced[0]["id"], {"Phone": "+1 303 555 0199"})
        emulator.edit(DC, "Accounts", synced[1]["id"], {"Payment_Terms": "N60"})
        emulator.edit(DC, "Accounts", synced[2]["id"], {"Credit_Limit": 999999})  # JDE owns it: put back
        emulator.edit(DC, "Accounts", synced[3]["id"], {"Account_Email": "orders@renamed.example"})
        made = emulator.create(
            DC,
            "Accounts",
            [
                {
                    "Account_Name": "Northwind Traders",
                    "Account_Type": "Customer",
                    "Tax_ID": "77-1000001",
                    "Account_Email": "ap@northwind.example",
                    "Phone": "+1 206 555 0101",
                    "Billing_Street": "1 Pike St",
                    "Billing_City": "Seattle",
                    "Billing_State": "WA",
                    "Billing_Code": "98104",
                    "Billing_Country": "US",
                    "Payment_Terms": "N30",
                    "Credit_Limit": 25000,
                    "Description": note,
                },
                {
                    "Account_Name": "Fabrikam Tools",
                    "Account_Type": "Customer",
                    "Account_Email": "buy@fabrikam.example",
                    "Billing_City": "Denver",
                    "Billing_Country": "US",
                    "Description": note,
                },
                {"Account_Name": "Maybe Later Inc", "Account_Type": "Prospect", "Description": note},
                {
                    "Account_Name": "Unknown Terms Ltd",
                    "Account_Type": "Customer",
                    "Payment_Terms": "N99",
                    "Description": note,
                },
            ],
        )
        ids = [result["details"]["id"] for result in made]
        emulator.create(
            DC,
            "Contacts",
            [
                {
                    "First_Name": "Ana",
                    "Last_Name": "Trujillo",
                    "Email": "ana@northwind.example",
                    "Account_Name": {"id": ids[0]},
                    "Title": "Buyer",
                },
                {
                    "First_Name": "Tom",
                    "Last_Name": "Berg",
                    "Email": "tom@fabrikam.example",
                    "Account_Name": {"id": ids[1]},
                },
            ],
        )
    return {"accounts": len(_marked(emulator, "Accounts", note))}
