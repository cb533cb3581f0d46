-- Search quality (api/catalog/search.ts): ranking by a weighted search vector, typo tolerance with pg_trgm over a
-- vocabulary of indexed words. pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it;
-- PGlite loads it from @electric-sql/pglite/contrib/pg_trgm (db/pglite.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE TABLE "search_words" (
	"word" text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
ALTER TABLE "products" drop column "search_vector";--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', coalesce("products"."name", '')), 'A') || setweight(to_tsvector('simple', coalesce("products"."category", '')), 'B') || setweight(to_tsvector('simple', coalesce("products"."description", '')), 'C')) STORED;--> statement-breakpoint
CREATE INDEX "products_search_idx" ON "products" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "search_words_trgm_idx" ON "search_words" USING gin ("word" gin_trgm_ops);
--> statement-breakpoint
-- Every writer (admin routes, seeds, psql) adds the words of what it wrote. Words are never removed: a stale one only
-- widens a search by a word no product has. Words with digits (sizes, SKUs, years) are left out: a typo in one is
-- rarely meant for another, and a catalog has many of them, each making every lookup slower.
CREATE FUNCTION orderly_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word)
    SELECT w FROM unnest(tsvector_to_array(NEW.search_vector)) AS w WHERE length(w) BETWEEN 3 AND 64 AND w !~ '[0-9]'
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER products_search_words AFTER INSERT OR UPDATE OF name, description, category ON products
  FOR EACH ROW EXECUTE FUNCTION orderly_search_words();
--> statement-breakpoint
INSERT INTO search_words (word)
  SELECT DISTINCT w FROM products, unnest(tsvector_to_array(search_vector)) AS w WHERE length(w) BETWEEN 3 AND 64 AND w !~ '[0-9]'
  ON CONFLICT DO NOTHING;
