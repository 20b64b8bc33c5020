#!/bin/sh
# Creates or upgrades Temporal's two databases in PostgreSQL with the temporal-sql-tool of the
# official admin-tools image (the same steps as Temporal's own compose files). Safe to run on
# every start: create-database ignores an existing database, setup-schema keeps a newer
# version, and update-schema applies only the versions the database lacks, so a newer image
# upgrades the schema.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS: the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER: the PostgreSQL user}"
export SQL_PASSWORD="${POSTGRES_PWD:-}"
schema=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin "${DB:-postgres12}" --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db=${pair%%:*}
  kind=${pair#*:}
  echo "Temporal schema: $kind in database $db"
  sql_tool --db "$db" create-database
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$schema/$kind/versioned"
done
echo "Temporal schema: up to date"
