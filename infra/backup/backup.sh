#!/bin/sh
# Nightly backup of Houqin: one pg_dump per school schema plus the public schema, so one school can be
# restored (or handed over when it is archived) without touching the others.
#
#   DATABASE_URL       postgres://user:password@host:5432/houqin   (required)
#   BACKUP_DIR         where dated folders are written              (default /backups)
#   BACKUP_KEEP_DAYS   dated folders older than this are removed    (default 14)
#   BACKUP_JOBS        schemas dumped at once                       (default 2)
#
# Per-schema dumps also keep each pg_dump's lock count small: one dump of a database with thousands
# of school schemas needs max_locks_per_transaction × max_connections above the total table count.
# Restore one school:  pg_restore -d "$DATABASE_URL" --clean --if-exists <dir>/school-<slug>.dump
set -eu

: "${DATABASE_URL:?DATABASE_URL is required}"
BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
BACKUP_JOBS="${BACKUP_JOBS:-2}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/$stamp"
mkdir -p "$target"

# The public schema: bureaus, schools, users, memberships, read-models, partners.
pg_dump "$DATABASE_URL" --format=custom --schema=public --file="$target/public.dump"
# The template new schools are cloned from.
pg_dump "$DATABASE_URL" --format=custom --schema=school_template --file="$target/school_template.dump"

# Every school's schema, BACKUP_JOBS at a time.
psql "$DATABASE_URL" --no-align --tuples-only --command \
  "SELECT schema_name FROM public.tenants_school WHERE schema_name <> 'public' ORDER BY schema_name" \
  > "$target/schools.txt"
export DATABASE_URL target
xargs -P "$BACKUP_JOBS" -I '{}' sh -c \
  'pg_dump "$DATABASE_URL" --format=custom --schema="$1" --file="$target/school-$1.dump" || { echo "FAILED $1" >&2; exit 255; }' \
  _ '{}' < "$target/schools.txt"

count="$(ls "$target" | grep -c '^school-' || true)"
expected="$(wc -l < "$target/schools.txt")"
if [ "$count" -ne "$expected" ]; then
  echo "backup incomplete: $count of $expected school dumps" >&2
  exit 1
fi
touch "$target/COMPLETE"
echo "backup $stamp: public + $count schools in $target"

# Retention: dated folders older than BACKUP_KEEP_DAYS days.
find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -mtime "+$BACKUP_KEEP_DAYS" -exec rm -rf {} +
