"""The small kernel every domain app may import (DESIGN: core/): the outbound-request guard, the
spreadsheet reader, the client-IP helper. Imports only `tenants` and Django."""
