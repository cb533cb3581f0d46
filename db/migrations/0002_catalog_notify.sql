-- Every committed change to products tells every API process which cached product to drop (api/catalog/invalidation.ts).
-- A trigger catches every writer (admin routes, checkout activities, seeds, psql); pg_notify is sent at commit, and not
-- at all on rollback. 'stock:<id>' when only stock and version changed (listing pages may lag by their 1 s TTL),
-- 'product:<id>' for any other change (listing pages are dropped too), '*' for a truncate (drop everything).
CREATE FUNCTION orderly_catalog_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('orderly_catalog', '*');
  ELSIF TG_OP = 'UPDATE'
    AND (to_jsonb(OLD) - 'stock' - 'version') = (to_jsonb(NEW) - 'stock' - 'version') THEN
    PERFORM pg_notify('orderly_catalog', 'stock:' || NEW.id);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('orderly_catalog', 'product:' || OLD.id);
  ELSE
    PERFORM pg_notify('orderly_catalog', 'product:' || NEW.id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER products_notify AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION orderly_catalog_notify();
--> statement-breakpoint
CREATE TRIGGER products_notify_truncate AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION orderly_catalog_notify();
