#!/bin/sh
# Nightly backup set of Houqin: every schema dumped from ONE snapshot of the database, each school's
# media beside its dump, a manifest of hashes. One school can be restored on its own (or handed over
# when it is archived) without touching the others: `manage.py restore_school --from <set> --schema <s>`
# (infra/backup/README.md). Point-in-time recovery between two nightly sets is pgBackRest's job
# (infra/backup/pgbackrest.conf).
#
#   DATABASE_URL       postgres://user:password@host:5432/houqin   (required)
#   MEDIA_ROOT         the uploads, one folder per school schema    (default: media not backed up, said so)
#   MEDIA_PULL         a command run with a folder after the snapshot, which copies media kept elsewhere
#                      (an S3 bucket: "python manage.py media_pull") into it; MEDIA_ROOT is then that folder
#   BACKUP_DIR         where dated sets are written                 (default /backups)
#   BACKUP_KEEP_DAYS   dated sets older than this are removed       (default 14; "off" keeps all)
#   BACKUP_JOBS        schemas dumped at once                       (default 2)
#
# One snapshot: a psql session opens a REPEATABLE READ transaction, exports its snapshot
# (pg_export_snapshot) and stays open while every pg_dump runs with --snapshot, so public, the template
# and all schools are the database as it was at one instant (a membership and the rows that name its
# user agree). Dumps stay per schema: each pg_dump locks only its schema's tables, so the lock table
# does not need room for every table of thousands of schools at once.
#
# A set:   set.txt (snapshot, times, server)   counts.tsv (schema, table, rows, under the snapshot)
#          public.dump  school_template.dump  school-<schema>.dump   schools.txt
#          media/<schema>.tar  media/<schema>.sha256 (sha256sum of every file, paths below the schema)
#          SHA256SUMS (of the dumps and tars)   COMPLETE (written last)
# Media is copied after the snapshot is taken: uploads are only ever added, so every file a dumped row
# names is already there (a file uploaded meanwhile comes along unreferenced, which is harmless).
set -eu

: "${DATABASE_URL:?DATABASE_URL is required}"
BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
BACKUP_JOBS="${BACKUP_JOBS:-2}"
MEDIA_ROOT="${MEDIA_ROOT:-}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/$stamp"
mkdir -p "$target"
work="$(mktemp -d)"
holder=""
cleanup() {
  if [ -n "$holder" ]; then
    exec 3>&- 2>/dev/null || true
    kill "$holder" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The session that holds the snapshot: it reads its commands from a FIFO we keep open on fd 3.
mkfifo "$work/ctl"
psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 < "$work/ctl" > "$work/snapshot" 2> "$work/holder.err" &
holder=$!
exec 3> "$work/ctl"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&3
i=0
while [ ! -s "$work/snapshot" ]; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$holder" 2>/dev/null; then
    echo "could not export a snapshot: $(cat "$work/holder.err")" >&2
    exit 1
  fi
  sleep 0.1
done
snapshot="$(head -n 1 "$work/snapshot")"
{
  echo "snapshot=$snapshot"
  echo "started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "server=$(psql "$DATABASE_URL" -X -A -t -c 'SHOW server_version')"
  echo "pg_dump=$(pg_dump --version)"
} > "$target/set.txt"

# Within the snapshot: the schools, and the row count of every table (what a restore must find again).
in_snapshot() {
  psql "$DATABASE_URL" -X -q -A -t -F "$(printf '\t')" -v ON_ERROR_STOP=1 <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET TRANSACTION SNAPSHOT '$snapshot';
$1
COMMIT;
SQL
}
in_snapshot "SELECT schema_name FROM public.tenants_school WHERE schema_name <> 'public' ORDER BY schema_name;" \
  > "$target/schools.txt"
# One count(*) per table, run by psql's \gexec (no query_to_xml: a server built without libxml lacks it).
in_snapshot "SELECT format('SELECT %L, %L, count(*) FROM %I.%I', table_schema, table_name, table_schema, table_name)
FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND (table_schema IN ('public', 'school_template')
       OR table_schema IN (SELECT schema_name FROM public.tenants_school))
ORDER BY table_schema, table_name
\gexec" > "$target/counts.tsv"

# public (bureaus, schools, users, memberships, seals, read-models, partners), the template new schools
# are cloned from, then every school, BACKUP_JOBS at a time, all from the one snapshot.
pg_dump "$DATABASE_URL" --snapshot="$snapshot" --format=custom --schema=public --file="$target/public.dump"
pg_dump "$DATABASE_URL" --snapshot="$snapshot" --format=custom --schema=school_template \
  --file="$target/school_template.dump"
export DATABASE_URL target snapshot
xargs -P "$BACKUP_JOBS" -I '{}' sh -c \
  'pg_dump "$DATABASE_URL" --snapshot="$snapshot" --format=custom --schema="$1" --file="$target/school-$1.dump" \
     || { echo "FAILED $1" >&2; exit 255; }' \
  _ '{}' < "$target/schools.txt"

# The dumps have read what they need: let the snapshot go.
echo "COMMIT;" >&3
exec 3>&-
wait "$holder"
holder=""

count="$(ls "$target" | grep -c '^school-' || true)"
expected="$(wc -l < "$target/schools.txt")"
if [ "$count" -ne "$expected" ]; then
  echo "backup incomplete: $count of $expected school dumps" >&2
  exit 1
fi

# Media on an S3 API: copied out of the bucket now, after the snapshot (uploads are only ever added, so
# every object a dumped row names is already there), into a scratch folder laid out as MEDIA_ROOT.
if [ -n "${MEDIA_PULL:-}" ]; then
  MEDIA_ROOT="$work/media"
  mkdir -p "$MEDIA_ROOT"
  # shellcheck disable=SC2086  # the command is words on purpose ("python manage.py media_pull")
  $MEDIA_PULL "$MEDIA_ROOT" >&2 || { echo "MEDIA_PULL failed: this set would hold no uploaded files" >&2; exit 1; }
fi

# Each school's files: a tar of MEDIA_ROOT/<schema> and the sha256 of every file in it.
mkdir -p "$target/media"
media="none"
if [ -n "$MEDIA_ROOT" ] && [ -d "$MEDIA_ROOT" ]; then
  media="$MEDIA_ROOT"
  while IFS= read -r schema; do
    [ -d "$MEDIA_ROOT/$schema" ] || continue
    (cd "$MEDIA_ROOT/$schema" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) > "$target/media/$schema.sha256"
    tar -cf "$target/media/$schema.tar" -C "$MEDIA_ROOT" "$schema"
  done < "$target/schools.txt"
else
  echo "warning: MEDIA_ROOT not set or missing: this set holds no uploaded files" >&2
fi
{
  echo "media=$media"
  echo "finished_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >> "$target/set.txt"

(cd "$target" && find . -maxdepth 2 -type f \( -name '*.dump' -o -name '*.tar' -o -name '*.sha256' \) -print \
   | sort | xargs -r sha256sum) > "$target/SHA256SUMS"
touch "$target/COMPLETE"
echo "backup $stamp: public + $count schools (snapshot $snapshot, media: $media) in $target"

# Retention: dated sets older than BACKUP_KEEP_DAYS days.
if [ "$BACKUP_KEEP_DAYS" != "off" ]; then
  find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -mtime "+$BACKUP_KEEP_DAYS" -exec rm -rf {} +
fi
