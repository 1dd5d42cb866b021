"""Secret fields of a resource, as Dagster shows them.

Dagster's UI, the run config its launchpad fills in and the job snapshot stored with every run carry each resource's
config values, except where a value is a `dg.EnvVar`: then they carry the variable's name, and Dagster reads the value
only when a run starts. So a resource declares its `secrets` once, and the definitions the code location serves hold
each of them as a `dg.EnvVar`. The production profile's secrets already are (`SystemResource.from_environment`); a
secret given as a value (the sandbox's well-known credentials, a test's override, the password in a ledger URL) is put
into the process environment first, under `ML_CONNECTOR_SECRET_<RESOURCE>_<FIELD>`. Every process that resolves a
run's config (the code server, the run worker, a step worker, `execute_in_process`) builds the definitions itself, so
the variable is set there before Dagster reads it.

Not Dagster's `dagster__is_secret` field mark: with it the launchpad fills in `********` for the field, and a run
launched with what it filled in sends that as the password.
"""

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import dagster as dg

PREFIX = "ML_CONNECTOR_SECRET_"


class SecretFields(dg.ConfigurableResource):
    """A resource whose `secrets` names its secret fields (each also `repr=False`)."""

    secrets: ClassVar[frozenset[str]] = frozenset()

    def with_secrets_in_environment(self, key: str) -> Self:
        """This resource with each secret it holds as a value moved into the process environment and named by a
        `dg.EnvVar` (`key` is the resource's key in the definitions); itself when it holds none."""
        moved = {
            name: environment_variable(f"{PREFIX}{key}_{name}".upper(), value)
            for name in sorted(self.secrets)
            if (value := getattr(self, name)) and not isinstance(value, dg.EnvVar)
        }
        if not moved:
            return self
        return type(self)(**{**{name: getattr(self, name) for name in self.model_fields_set}, **moved})


def environment_variable(name: str, value: str) -> dg.EnvVar:
    """`value` in the process environment under `name`, or `name_2`, `name_3`, ... where an earlier definitions object
    of this process (a test's, with another password) set `name` to another value, so each keeps its own."""
    variable, number = name, 1
    while os.environ.get(variable, value) != value:
        number += 1
        variable = f"{name}_{number}"
    os.environ[variable] = value
    return dg.EnvVar(variable)


def secrets_in_environment(resources: Mapping[str, Any]) -> dict[str, Any]:
    """The resources as the definitions hold them: no secret as a value."""
    return {
        key: resource.with_secrets_in_environment(key) if isinstance(resource, SecretFields) else resource
        for key, resource in resources.items()
    }
