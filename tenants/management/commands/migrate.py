from .migrate_schemas import Command  # noqa: F401  (plain `migrate` runs the tenant-aware one)
