"""The sandbox: one emulator per vendor system, written from the vendors' documentation (../shared/reference/),
served over real HTTP on loopback. Users try the connector with it; every test and benchmark uses it."""
