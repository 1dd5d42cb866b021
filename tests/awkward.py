"""Source keys that test whether an id survives every place it goes: each character Dataverse cannot address a key by
(`/ # < > * % & : \\ ? +`), a space, quotes (a single one doubled in an OData literal), non-ASCII inside and outside
the Basic Multilingual Plane, something that reads as a percent-escape, and the external id's own separator and
escape."""

AWKWARD = [*"/#<>*%&:\\?+", " ", "'", '"', "''", "é", "日本", "🚀", "%41", "~", "."]
