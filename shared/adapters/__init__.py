"""Adapters: our side of third-party systems (Everflow, Stripe, Supabase, storage)."""
