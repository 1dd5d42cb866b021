"""OAuth scopes (crm_targets.md §2.4, §2.7): a call needs `ZohoCRM.<family>.ALL`, or the operation's own scope, or
for records the module's (`ZohoCRM.modules.accounts.READ`); a token without it gets 401 OAUTH_SCOPE_MISMATCH."""

_OPERATIONS = {"GET": "READ", "POST": "CREATE", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}


def allowed(scopes: tuple[str, ...], family: str, method: str, module: str | None) -> bool:
    operation = _OPERATIONS.get(method, "ALL")
    granted = {scope.lower() for scope in scopes}
    wanted = {f"zohocrm.{family}.all", f"zohocrm.{family}.{operation}".lower()}
    if family == "modules" and operation in ("CREATE", "UPDATE"):
        wanted.add("zohocrm.modules.write")
    if family == "modules" and module:
        wanted |= {f"zohocrm.modules.{module}.all".lower(), f"zohocrm.modules.{module}.{operation}".lower()}
    return bool(granted & wanted)
