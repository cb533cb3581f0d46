-- Rate-limit counters shared by every API replica (api/ratelimit/). UNLOGGED: a counter update writes no WAL, and a
-- crash that empties the table only forgives the windows that were running.
CREATE UNLOGGED TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer NOT NULL,
	"expire" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "rate_limits_expire_idx" ON "rate_limits" USING btree ("expire");
