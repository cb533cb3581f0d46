#!/bin/sh
# Creates Temporal's persistence and visibility databases on PostgreSQL, or upgrades their schema to the one the
# server needs; safe to run on every start. Shared by `make cluster` (scripts/cluster/) and the temporal-schema job
# in docker-compose.yml (temporalio/admin-tools). The schemas are the ones embedded in temporal-sql-tool itself,
# so the tool and the server must be the same version.
#   SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD   read by temporal-sql-tool itself
#   DBNAME, VISIBILITY_DBNAME                    default temporal, temporal_visibility
#   TEMPORAL_SQL_TOOL                            the tool's path (default: temporal-sql-tool on PATH)
set -eu
: "${SQL_HOST:?set SQL_HOST to the PostgreSQL host}"
: "${SQL_USER:?set SQL_USER to a PostgreSQL role that may create databases}"
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
export SQL_PLUGIN=postgres12 SQL_PORT="${SQL_PORT:-5432}"

for target in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db=${target%%:*}
  schema=postgresql/v12/${target#*:}
  echo "temporal schema: $db ($schema)"
  "$tool" --db "$db" create-database --defaultdb postgres
  # Version tables only (-v 0.0); update-schema then applies every versioned step the database lacks.
  "$tool" --db "$db" setup-schema -v 0.0
  "$tool" --db "$db" update-schema --schema-name "$schema"
done
