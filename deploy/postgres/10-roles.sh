#!/usr/bin/env bash
# Runs once, when the postgres container initialises its data directory (docker-entrypoint-initdb.d).
# Creates the two roles of close/storage/roles.py: monthclose_owner owns the database and runs the
# migrations (CLOSE_MIGRATE_URL); monthclose_app is the application's login (DATABASE_URL): it owns
# nothing and is a member of no role. The superuser (POSTGRES_USER) is for administration only.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$MONTHCLOSE_OWNER_PASSWORD" -v app_password="$MONTHCLOSE_APP_PASSWORD" <<'SQL'
CREATE ROLE monthclose_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE monthclose_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
GRANT monthclose_app TO monthclose_owner WITH ADMIN OPTION;
CREATE DATABASE monthclose OWNER monthclose_owner;
REVOKE ALL ON DATABASE monthclose FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE monthclose TO monthclose_app;
SQL
