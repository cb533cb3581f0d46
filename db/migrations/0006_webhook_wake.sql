-- Wakes the webhook dispatchers when order events are written (workers/webhooks.ts listens): one notification per
-- inserting statement, sent at commit and not at all on rollback, and only while some subscription is enabled, so a
-- shop without webhooks pays one indexed lookup per statement. A lost notification only delays delivery until the
-- dispatcher's own poll (WEBHOOK_POLL_INTERVAL).
CREATE FUNCTION orderly_order_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled) THEN
    PERFORM pg_notify('orderly_order_events', '');
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER order_events_notify AFTER INSERT ON order_events
  FOR EACH STATEMENT EXECUTE FUNCTION orderly_order_events_notify();
