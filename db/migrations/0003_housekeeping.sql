CREATE TABLE "cart_housekeeping" (
	"cart_id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"reminder_status" text,
	"reminder_message_id" text,
	"reminder_recipient" text,
	"reminded_at" timestamp with time zone,
	"lines" jsonb,
	"idle_since" timestamp with time zone,
	"expired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "needs_attention" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "cart_housekeeping_expired_idx" ON "cart_housekeeping" USING btree ("expired_at");--> statement-breakpoint
CREATE INDEX "carts_updated_idx" ON "carts" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "orders_needs_attention_idx" ON "orders" USING btree ("updated_at","id") WHERE "orders"."needs_attention";