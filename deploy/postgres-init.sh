#!/bin/sh
# Runs once, when the PostgreSQL volume is created: the login role of the API and the workers.
# It owns nothing; `healthcare migrate` grants it the restricted application role.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE healthcare_login LOGIN PASSWORD '${APP_DB_PASSWORD}';
GRANT CONNECT ON DATABASE ${POSTGRES_DB} TO healthcare_login;
SQL
