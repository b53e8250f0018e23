-- The PostgreSQL role and the two databases deploy/production.env.example names (role `shop`, commerce
-- database `shop`, Rasa's tracker database `rasa_tracker`). Run once, as a PostgreSQL superuser, with
-- the password you put in deploy/production.env (docs/production.md shows the whole sequence):
--   sudo -u postgres psql -v password="$RASA_TRACKER_DB_PASSWORD" -f deploy/postgres-setup.sql
-- Other names: add -v role=... -v shop_db=... -v tracker_db=... and change the env file to match.
\set ON_ERROR_STOP on
\if :{?role}
\else
  \set role shop
\endif
\if :{?shop_db}
\else
  \set shop_db shop
\endif
\if :{?tracker_db}
\else
  \set tracker_db rasa_tracker
\endif
\if :{?password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'give the password: psql -v password=... -f deploy/postgres-setup.sql'; END $$;
\endif

CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"shop_db" OWNER :"role";
-- Rasa would create it itself through RASA_TRACKER_LOGIN_DB, but only with CREATEDB; this role has none.
CREATE DATABASE :"tracker_db" OWNER :"role";
