"""django-tenants' PostgreSQL backend, with a table listing that does not grow with the number of schools."""
